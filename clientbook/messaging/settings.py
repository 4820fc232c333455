"""The shop's channel choices (one MessagingSettings row) and what is actually usable."""
from __future__ import annotations

import sqlalchemy as sa

from clientbook.extensions import db
from clientbook.mail import mail_configured
from clientbook.messaging.channels.twilio import twilio_configured
from clientbook.models import HANDOFF_CHANNELS, MessagingSettings

CHANNEL_LABELS = {
    "handoff_sms": "Text", "handoff_email": "Email", "whatsapp": "WhatsApp",
    "sms": "Shop SMS", "email": "Shop email",
}


def messaging_settings() -> MessagingSettings:
    """The settings row, created with the defaults (hand-off on, providers off) on first use."""
    row = db.session.scalar(sa.select(MessagingSettings).limit(1))
    if row is None:
        row = MessagingSettings()
        db.session.add(row)
        db.session.flush()
    return row


def channel_enabled(channel: str, settings: MessagingSettings | None = None) -> bool:
    settings = settings or messaging_settings()
    if channel in HANDOFF_CHANNELS:
        return bool(getattr(settings, channel))
    if channel == "email":
        return settings.email_enabled and mail_configured()
    if channel == "sms":
        return settings.sms_enabled and twilio_configured()
    return False


def enabled_channels() -> list[str]:
    settings = messaging_settings()
    return [c for c in ("sms", "email", "handoff_sms", "handoff_email", "whatsapp") if channel_enabled(c, settings)]


def channel_configured(channel: str) -> bool:
    """Provider credentials are present (whether or not the owner switched the channel on)."""
    if channel == "email":
        return mail_configured()
    if channel == "sms":
        return twilio_configured()
    return channel in HANDOFF_CHANNELS
