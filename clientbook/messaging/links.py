"""Absolute links that leave the shop's network (unsubscribe, provider callbacks) and signed tokens."""
from __future__ import annotations

from flask import current_app, has_request_context, url_for
from itsdangerous import BadSignature, URLSafeSerializer

UNSUBSCRIBE_SALT = "clientbook-unsubscribe"


def public_url(endpoint: str, **values) -> str:
    """PUBLIC_BASE_URL (how the outside world reaches the shop) + the route; else the request's host."""
    base = (current_app.config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    if base:
        path = current_app.url_map.bind("localhost", script_name="/").build(endpoint, values)
        return base + path
    if has_request_context() or current_app.config.get("SERVER_NAME"):
        return url_for(endpoint, _external=True, **values)
    return "http://localhost" + current_app.url_map.bind("localhost", script_name="/").build(endpoint, values)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(client_id: int | None, address_digest: str) -> str:
    """No expiry: an unsubscribe link must keep working years after the email was sent."""
    return _serializer().dumps({"c": client_id, "h": address_digest})


def read_unsubscribe_token(token: str) -> dict | None:
    try:
        data = _serializer().loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("h"), str):
        return None
    return data
