"""Message templates, the outbox/log, suppression list and campaigns (see the Outreach issue)."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clientbook.extensions import db
from clientbook.models.core import User, utcnow

__all__ = [
    "MessageTemplate", "Message", "Suppression", "MessagingSettings", "Campaign", "CampaignRecipient",
    "MESSAGE_CHANNELS", "PROVIDER_CHANNELS", "HANDOFF_CHANNELS", "MESSAGE_STATES",
]

# Provider channels go through the outbox; hand-off channels open the associate's own app.
PROVIDER_CHANNELS = ("sms", "email")
HANDOFF_CHANNELS = ("handoff_sms", "handoff_email", "whatsapp")
MESSAGE_CHANNELS = PROVIDER_CHANNELS + HANDOFF_CHANNELS
# queued -> sending -> sent | failed | unknown; sent -> delivered | failed (status callbacks);
# inbound messages are "received".
# A hand-off (the associate's own app) is "handed_off" until they answer "Sent?".
MESSAGE_STATES = ("queued", "sending", "sent", "delivered", "failed", "unknown", "received", "handed_off")


class MessageTemplate(db.Model):
    """A shop-editable draft with {placeholders}; reminder rules point at one."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    channel: Mapped[str] = mapped_column(sa.String(16))  # "sms" or "email" (hand-off uses the sms text)
    subject: Mapped[str] = mapped_column(sa.String(200), default="")
    body: Mapped[str] = mapped_column(sa.Text)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Message(db.Model):
    """One message to or from a client: the outbox for provider sends and the log for everything."""

    id: Mapped[int] = mapped_column(primary_key=True)
    # Kept when the client is deleted: the log and the suppression list outlive the card.
    client_id: Mapped[int | None] = mapped_column(sa.ForeignKey("client.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    direction: Mapped[str] = mapped_column(sa.String(3), default="out")  # "out" or "in"
    channel: Mapped[str] = mapped_column(sa.String(16))  # one of MESSAGE_CHANNELS
    purpose: Mapped[str] = mapped_column(sa.String(40), default="manual")  # manual, reminder, campaign, auto, test, reply
    to_address: Mapped[str] = mapped_column(sa.String(254), default="")
    from_address: Mapped[str] = mapped_column(sa.String(254), default="")
    subject: Mapped[str] = mapped_column(sa.String(200), default="")
    body: Mapped[str] = mapped_column(sa.Text, default="")
    state: Mapped[str] = mapped_column(sa.String(12), default="queued")
    error: Mapped[str] = mapped_column(sa.String(500), default="")
    provider_id: Mapped[str | None] = mapped_column(sa.String(200), index=True)
    # (purpose, client, occurrence): a client never gets the same automated message twice.
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(160), unique=True)
    template_id: Mapped[int | None] = mapped_column(sa.ForeignKey("message_template.id", ondelete="SET NULL"))
    campaign_id: Mapped[int | None] = mapped_column(sa.ForeignKey("campaign.id", ondelete="SET NULL"), index=True)
    reminder_id: Mapped[int | None]  # the reminder this outreach answers, when there is one
    # The conversation of a sender that matches no client (a client's thread is found by client_id).
    thread_id: Mapped[int | None] = mapped_column(sa.ForeignKey("thread.id", ondelete="SET NULL"), index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    send_after: Mapped[datetime | None]  # quiet hours and retry back-off
    claimed_at: Mapped[datetime | None]
    # Set just before the provider request: a crash after this point may have sent it.
    request_started_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    user: Mapped[User | None] = relationship()

    __table_args__ = (
        sa.Index("ix_message_client_created", "client_id", "created_at"),
        sa.Index("ix_message_state_send_after", "state", "send_after"),
        sa.Index("ix_message_user_created", "user_id", "created_at"),
        # A provider that retries a webhook (or an IMAP fetch run twice) never stores a message twice.
        sa.UniqueConstraint("direction", "channel", "provider_id", name="uq_message_provider"),
    )

    @property
    def is_handoff(self) -> bool:
        return self.channel in HANDOFF_CHANNELS

    @property
    def channel_label(self) -> str:
        return {
            "sms": "SMS", "email": "Email", "handoff_sms": "Text (own phone)",
            "handoff_email": "Email (own app)", "whatsapp": "WhatsApp",
        }.get(self.channel, self.channel)


class Suppression(db.Model):
    """An address that opted out. No foreign key: it survives deleting the client."""

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(sa.String(8))  # "sms" or "email"
    address_hash: Mapped[str] = mapped_column(sa.String(64))  # sha256 of the normalised address
    reason: Mapped[str] = mapped_column(sa.String(120), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (sa.UniqueConstraint("channel", "address_hash", name="uq_suppression_channel_address"),)


class MessagingSettings(db.Model):
    """Which channels the shop offers (one row). Provider credentials live in config, never here."""

    id: Mapped[int] = mapped_column(primary_key=True)
    handoff_sms: Mapped[bool] = mapped_column(default=True)
    handoff_email: Mapped[bool] = mapped_column(default=True)
    whatsapp: Mapped[bool] = mapped_column(default=True)
    email_enabled: Mapped[bool] = mapped_column(default=False)
    sms_enabled: Mapped[bool] = mapped_column(default=False)
    sms_help_reply: Mapped[str] = mapped_column(sa.String(320), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Campaign(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    channel: Mapped[str] = mapped_column(sa.String(16))  # "sms" or "email"
    template_id: Mapped[int | None] = mapped_column(sa.ForeignKey("message_template.id", ondelete="SET NULL"))
    subject: Mapped[str] = mapped_column(sa.String(200), default="")
    body: Mapped[str] = mapped_column(sa.Text, default="")
    segment_json: Mapped[str] = mapped_column(sa.Text, default="{}")  # the client-list filter, as query args
    state: Mapped[str] = mapped_column(sa.String(12), default="draft")  # draft, sending, paused, done
    rate_per_minute: Mapped[int] = mapped_column(default=60)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    # Last time a send tick ran: lets a restarted worker tell a live tick chain from a dead one.
    heartbeat_at: Mapped[datetime | None]
    throttle_tokens: Mapped[float] = mapped_column(default=1.0)  # token bucket between ticks

    created_by: Mapped[User | None] = relationship()


class CampaignRecipient(db.Model):
    """One client in a campaign; its state makes sending resumable."""

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaign.id", ondelete="CASCADE"))
    client_id: Mapped[int | None] = mapped_column(sa.ForeignKey("client.id", ondelete="SET NULL"))
    # pending -> queued (a Message exists) -> sent | failed | unknown; or skipped with a reason.
    state: Mapped[str] = mapped_column(sa.String(12), default="pending")
    reason: Mapped[str] = mapped_column(sa.String(200), default="")
    message_id: Mapped[int | None] = mapped_column(sa.ForeignKey("message.id", ondelete="SET NULL"))

    __table_args__ = (
        sa.UniqueConstraint("campaign_id", "client_id", name="uq_campaign_recipient"),
        sa.Index("ix_campaign_recipient_state", "campaign_id", "state"),
    )
