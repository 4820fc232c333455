"""Login-free endpoints the outside world calls: one-click unsubscribe and Twilio's webhooks.

Blueprint "public": no session, no CSRF token (mail apps and Twilio have neither); the
unsubscribe link is signed, and every Twilio request must carry a valid X-Twilio-Signature.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, abort, render_template, request
from markupsafe import escape

from clientbook.extensions import db
from clientbook.messaging import consent
from clientbook.messaging.channels.twilio import twilio_settings, valid_signature
from clientbook.messaging.links import read_unsubscribe_token
from clientbook.messaging.outbox import sync_campaign_recipient
from clientbook.messaging.settings import messaging_settings
from clientbook.models import Client, Message, Suppression, utcnow
from clientbook.shop import current_shop
from clientbook.web import configured_base_url

bp = Blueprint("public", __name__)

STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT", "OPT OUT"}
START_WORDS = {"START", "UNSTOP", "YES"}
HELP_WORDS = {"HELP", "INFO"}


def keyword(body: str) -> str:
    """The opt-out keyword in an inbound text: the whole message, trimmed, upper-case, no end punctuation."""
    return " ".join((body or "").strip().strip(".!").upper().split())


# ---- one-click unsubscribe (RFC 8058) -------------------------------------------------------

@bp.route("/u/<token>", methods=["GET", "POST"])
def unsubscribe(token: str):
    data = read_unsubscribe_token(token)
    if data is None:
        return render_template("messaging/unsubscribe.html", state="invalid"), 404
    if request.method == "GET":
        # Link scanners fetch every URL in an email: GET only asks, POST acts.
        return render_template("messaging/unsubscribe.html", state="confirm", token=token)
    digest = data["h"]
    client = db.session.get(Client, data["c"]) if isinstance(data.get("c"), int) else None
    if client is not None and client.email and consent.address_hash("email", client.email) == digest:
        # Revokes consent on every card with this address and records the suppression.
        consent.suppress("email", client.email, "Unsubscribe link")
    elif db.session.scalar(sa.select(Suppression.id).where(
            Suppression.channel == "email", Suppression.address_hash == digest)) is None:
        # The card is gone or its address changed: the suppression alone still blocks the address.
        db.session.add(Suppression(channel="email", address_hash=digest, reason="Unsubscribe link"))
    db.session.commit()
    return render_template("messaging/unsubscribe.html", state="done")


# ---- Twilio ---------------------------------------------------------------------------------

def _verified_twilio_request() -> None:
    token = twilio_settings()["auth_token"]
    candidates = [request.url]
    base = configured_base_url()
    if base:
        candidates.insert(0, base + request.full_path.rstrip("?"))
    params = {key: request.form.getlist(key) for key in request.form}
    if not valid_signature(token, candidates, params, request.headers.get("X-Twilio-Signature")):
        abort(403)


def twiml(reply: str | None = None) -> Response:
    inner = f"<Message>{escape(reply)}</Message>" if reply else ""
    return Response(f'<?xml version="1.0" encoding="UTF-8"?><Response>{inner}</Response>',
                    mimetype="application/xml")


# Delivery states only move forward; a late "sent" never overwrites "delivered".
_STATUS_RANK = {"queued": 0, "sending": 1, "unknown": 1, "sent": 2, "failed": 3, "delivered": 3}


@bp.post("/hooks/twilio/status")
def twilio_status():
    _verified_twilio_request()
    sid = request.form.get("MessageSid") or request.form.get("SmsSid") or ""
    status = (request.form.get("MessageStatus") or request.form.get("SmsStatus") or "").lower()
    message = db.session.scalar(sa.select(Message).where(Message.provider_id == sid)) if sid else None
    if message is None and request.args.get("m", "").isdigit():
        # The worker died before recording the provider id: the callback still names our row.
        message = db.session.get(Message, int(request.args["m"]))
        if message is not None and message.provider_id not in (None, sid):
            message = None
    if message is None or message.direction != "out":
        return Response(status=204)
    new_state = {"delivered": "delivered", "read": "delivered", "sent": "sent",
                 "undelivered": "failed", "failed": "failed"}.get(status)
    if new_state and _STATUS_RANK[new_state] >= _STATUS_RANK.get(message.state, 0) and message.state != new_state:
        message.provider_id = message.provider_id or sid
        message.state = new_state
        if new_state == "delivered":
            message.delivered_at = utcnow()
        if new_state == "sent" and message.sent_at is None:
            message.sent_at = utcnow()
        if new_state == "failed":
            code = request.form.get("ErrorCode") or ""
            message.error = f"Not delivered (Twilio {status}{', error ' + code if code else ''})."
        db.session.commit()
        sync_campaign_recipient(message)
    return Response(status=204)


@bp.post("/hooks/twilio/inbound")
def twilio_inbound():
    from clientbook.conversations.threads import file_inbound

    _verified_twilio_request()
    sender = request.form.get("From", "")
    body = request.form.get("Body", "")
    sid = request.form.get("MessageSid") or request.form.get("SmsSid") or None
    word = keyword(body)
    is_keyword = word in STOP_WORDS or word in START_WORDS or word in HELP_WORDS
    # Stored first: a replayed webhook (same MessageSid) changes nothing and answers nothing twice.
    message = file_inbound(channel="sms", sender=sender, to=request.form.get("To", ""), body=body,
                           provider_id=sid, needs_answer=not is_keyword)
    if message is None:
        db.session.rollback()
        return twiml()
    reply = None
    if word in STOP_WORDS:
        consent.suppress("sms", sender, f"Replied {word}")
    elif word in START_WORDS:
        consent.unsuppress("sms", sender, f"Replied {word}")
    elif word in HELP_WORDS:
        shop = current_shop()
        reply = messaging_settings().sms_help_reply or (
            f"{shop.name if shop else 'We'}: reply STOP to stop messages, START to receive them again.")
    db.session.commit()
    return twiml(reply)
