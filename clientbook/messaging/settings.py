"""The shop's channel choices (one MessagingSettings row) and what is actually usable."""
from __future__ import annotations

import sqlalchemy as sa

from clientbook.extensions import db
from clientbook.mail import mail_configured
from clientbook.messaging.channels.twilio import twilio_configured
from clientbook.messaging import consent
from clientbook.models import HANDOFF_CHANNELS, Client, MessagingSettings

CHANNEL_LABELS = {
    "handoff_sms": "Text", "handoff_email": "Email", "whatsapp": "WhatsApp",
    "sms": "Shop SMS", "email": "Shop email",
}
CHANNEL_ORDER = ("handoff_sms", "whatsapp", "handoff_email", "sms", "email")
CARD_CHANNELS = ("handoff_sms", "whatsapp", "handoff_email")  # the card's one-tap hand-off buttons


def channel_options(client: Client, channels: tuple[str, ...] = CHANNEL_ORDER) -> list[dict]:
    """Each of these channels the shop offers, with why it can't be used for this client (if so)."""
    enabled = enabled_channels()
    return [{"channel": c, "label": CHANNEL_LABELS[c], "problem": consent.why_not(client, c)}
            for c in channels if c in enabled]


def messaging_settings(for_saving: bool = False) -> MessagingSettings:
    """The settings row, or the defaults (hand-off on, providers off) before anyone saved them.

    Reading never writes (pages render outside the write transaction): the row is only added
    to the session when the caller is about to save it.
    """
    row = db.session.scalar(sa.select(MessagingSettings).limit(1))
    if row is None:
        table = MessagingSettings.__table__
        row = MessagingSettings(**{column.key: column.default.arg for column in table.columns
                                   if column.default is not None and column.default.is_scalar})
        if for_saving:
            db.session.add(row)
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
