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
