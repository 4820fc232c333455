"""Signed, login-free unsubscribe tokens (absolute links come from web.external_url)."""
from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

UNSUBSCRIBE_SALT = "clientbook-unsubscribe"


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
