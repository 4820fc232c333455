"""Links that open the associate's own Messages, Mail or WhatsApp app with the draft filled in.

Phones are picky: spaces must be %20 (never +), newlines %0A, and & ? # = must be escaped
so the body is not cut short; emoji go out as UTF-8 percent-escapes.
"""
from __future__ import annotations

from urllib.parse import quote

from clientbook.contacts import digits


def _component(text: str) -> str:
    return quote(text or "", safe="")


def sms_link(phone: str, body: str) -> str:
    """sms:+33612345678?body=... (RFC 5724)."""
    number = "+" + digits(phone) if (phone or "").strip().startswith("+") else digits(phone)
    return f"sms:{number}?body={_component(body)}"


def mailto_link(address: str, subject: str, body: str) -> str:
    """mailto:a@b.c?subject=...&body=... (RFC 6068: line breaks in a body are CRLF)."""
    body = (body or "").replace("\r\n", "\n").replace("\n", "\r\n")
    return f"mailto:{quote(address or '', safe='@')}?subject={_component(subject)}&body={_component(body)}"


def whatsapp_link(phone: str, body: str) -> str:
    """https://wa.me/<international number, digits only>?text=..."""
    return f"https://wa.me/{digits(phone)}?text={_component(body)}"


def handoff_link(channel: str, address: str, subject: str, body: str) -> str:
    if channel == "handoff_sms":
        return sms_link(address, body)
    if channel == "handoff_email":
        return mailto_link(address, subject, body)
    if channel == "whatsapp":
        return whatsapp_link(address, body)
    raise ValueError(f"{channel} is not a hand-off channel")


# ---- what a hand-off did ------------------------------------------------------------------------
# A hand-off is logged the moment it is tapped, as "handed_off": the associate's app may or may not
# have sent it. The app asks "Sent?" when they come back; only "Sent" counts for results and
# attribution (messaging.attribution counts "sent"), "Not sent" ends as failed.

HANDED_OFF = "handed_off"
# How a reminder answered through a channel reads as its outcome.
CHANNEL_OUTCOME = {"handoff_sms": "texted", "whatsapp": "texted", "sms": "texted",
                   "handoff_email": "emailed", "email": "emailed"}
NOT_SENT = "Not sent (the associate said so)."


def close_reminder_by_message(reminder, channel: str, by, today) -> None:
    """Sending from a reminder closes it, with the channel as its outcome (Undo reopens it)."""
    from clientbook.reminders import actions

    if reminder is not None and reminder.is_open:
        actions.complete(reminder, CHANNEL_OUTCOME[channel], by, today)


def confirm_handoff(message, sent: bool, reminder=None) -> None:
    """The associate's answer to "Sent?". "Not sent" also reopens the reminder the tap closed."""
    from clientbook.models import utcnow
    from clientbook.reminders import actions

    if message.state != HANDED_OFF:
        return
    if sent:
        message.state, message.sent_at = "sent", message.sent_at or message.created_at or utcnow()
        return
    message.state, message.error = "failed", NOT_SENT
    if reminder is not None and reminder.state == "done" and reminder.outcome == CHANNEL_OUTCOME.get(message.channel):
        actions.reopen(reminder)
