"""SMS through Twilio's REST API, and the signature check for Twilio's webhooks.

Config (instance config or CLIENTBOOK_<KEY>): TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN,
TWILIO_FROM (the shop's number) or TWILIO_MESSAGING_SERVICE_SID, TWILIO_BASE_URL
(Twilio's API by default; tests point it at a local fake), TWILIO_TIMEOUT (seconds).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping

import requests

from clientbook.messaging.channels import AmbiguousError, PermanentError, SendResult, TransientError

DEFAULT_BASE_URL = "https://api.twilio.com"
IDEMPOTENCY_HEADER = "Idempotency-Key"


def twilio_settings(config: Mapping | None = None) -> dict:
    """Instance config and environment win; otherwise what the owner saved in Settings → Channels."""
    from clientbook.messaging.credentials import twilio_config

    config = twilio_config() if config is None else config
    return {
        "account_sid": config.get("TWILIO_ACCOUNT_SID") or "",
        "auth_token": config.get("TWILIO_AUTH_TOKEN") or "",
        "from_number": config.get("TWILIO_FROM") or "",
        "messaging_service_sid": config.get("TWILIO_MESSAGING_SERVICE_SID") or "",
        "base_url": (config.get("TWILIO_BASE_URL") or DEFAULT_BASE_URL).rstrip("/"),
        "timeout": float(config.get("TWILIO_TIMEOUT", 15)),
    }


def twilio_configured() -> bool:
    s = twilio_settings()
    return bool(s["account_sid"] and s["auth_token"] and (s["from_number"] or s["messaging_service_sid"]))


def messages_url(settings: dict) -> str:
    return f"{settings['base_url']}/2010-04-01/Accounts/{settings['account_sid']}/Messages.json"


def send_sms(to: str, body: str, status_callback: str | None = None,
             idempotency_key: str | None = None, settings: dict | None = None) -> SendResult:
    settings = settings or twilio_settings()
    if not (settings["account_sid"] and settings["auth_token"]
            and (settings["from_number"] or settings["messaging_service_sid"])):
        raise PermanentError("SMS is not set up: TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM are needed.")
    form = {"To": to, "Body": body}
    if settings["messaging_service_sid"]:
        form["MessagingServiceSid"] = settings["messaging_service_sid"]
    else:
        form["From"] = settings["from_number"]
    if status_callback:
        form["StatusCallback"] = status_callback
    headers = {IDEMPOTENCY_HEADER: idempotency_key} if idempotency_key else {}
    try:
        response = requests.post(
            messages_url(settings), data=form, headers=headers,
            auth=(settings["account_sid"], settings["auth_token"]),
            # Short connect timeout: failing to connect means nothing was sent.
            timeout=(min(5.0, settings["timeout"]), settings["timeout"]),
        )
    except requests.exceptions.ConnectTimeout as exc:
        raise TransientError(f"Could not reach Twilio: {exc.__class__.__name__}") from exc
    except requests.exceptions.ReadTimeout as exc:
        raise AmbiguousError("Twilio did not answer in time; the message may have been sent.") from exc
    except requests.exceptions.ConnectionError as exc:
        if _never_connected(exc):
            raise TransientError("Could not connect to Twilio.") from exc
        raise AmbiguousError("The connection to Twilio broke before it answered; the message may have been sent.") from exc
    return _result_from(response)


def _never_connected(exc: requests.exceptions.ConnectionError) -> bool:
    """True when the TCP connection itself failed (refused, no route, DNS): no bytes were sent."""
    import urllib3.exceptions

    reason = exc.args[0] if exc.args else None
    inner = getattr(reason, "reason", reason)
    return isinstance(inner, (urllib3.exceptions.NewConnectionError, urllib3.exceptions.NameResolutionError,
                              ConnectionRefusedError))


def _result_from(response: requests.Response) -> SendResult:
    try:
        payload = response.json()
    except ValueError:
        payload = {}
    if response.status_code in (200, 201):
        sid = payload.get("sid")
        if not sid:
            raise AmbiguousError("Twilio answered without a message id.")
        return SendResult(provider_id=sid, status=payload.get("status") or "queued")
    detail = f"Twilio {response.status_code}"
    if payload.get("code"):
        detail += f" (error {payload['code']})"
    if payload.get("message"):
        detail += f": {payload['message']}"
    if response.status_code == 429 or response.status_code >= 500:
        raise TransientError(detail)
    raise PermanentError(detail)


# ---- webhook signatures ------------------------------------------------------------

def compute_signature(auth_token: str, url: str, params: Mapping[str, list[str] | str]) -> str:
    """Twilio's X-Twilio-Signature: base64(HMAC-SHA1(token, url + each key+value, keys sorted))."""
    data = url
    for key in sorted(params):
        values = params[key]
        for value in sorted(values if isinstance(values, list) else [values]):
            data += key + value
    digest = hmac.new(auth_token.encode(), data.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def valid_signature(auth_token: str, candidate_urls: list[str], params: Mapping[str, list[str]],
                    signature: str | None) -> bool:
    if not auth_token or not signature:
        return False
    return any(hmac.compare_digest(compute_signature(auth_token, url, params), signature)
               for url in dict.fromkeys(candidate_urls))
