"""Conversations (one thread per client, or per unknown sender), channel credentials kept in
the database (encrypted), and each staff member's private calendar feed token."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clientbook.extensions import db
from clientbook.models.core import User, utcnow

__all__ = ["Thread", "THREAD_STATES", "ChannelCredentials", "CalendarFeed"]

# unread: a reply nobody opened yet; needs_reply: opened, not answered; done: nothing to do.
THREAD_STATES = ("unread", "needs_reply", "done")


class Thread(db.Model):
    """Every message with one client, across channels; or the messages of one unknown sender."""

    id: Mapped[int] = mapped_column(primary_key=True)
    # "client:<id>" or "<channel>:<address>" for a sender that matches no client: one thread each,
    # even when two webhooks for the same sender arrive at once.
    key: Mapped[str] = mapped_column(sa.String(300), unique=True)
    client_id: Mapped[int | None] = mapped_column(sa.ForeignKey("client.id", ondelete="SET NULL"), index=True)
    channel: Mapped[str] = mapped_column(sa.String(8), default="sms")  # how an unknown sender wrote
    address: Mapped[str] = mapped_column(sa.String(254), default="")  # an unknown sender's number or email
    # A manager's choice; otherwise the thread follows the client's associate.
    assigned_to_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    state: Mapped[str] = mapped_column(sa.String(12), default="done")
    unread_since: Mapped[datetime | None]  # the oldest reply nobody has opened
    last_message_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_direction: Mapped[str] = mapped_column(sa.String(3), default="in")
    last_preview: Mapped[str] = mapped_column(sa.String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    client = relationship("Client")
    assigned_to: Mapped[User | None] = relationship()

    __table_args__ = (
        sa.Index("ix_thread_last_message", "last_message_at"),
        sa.Index("ix_thread_state_unread", "state", "unread_since"),
    )

    @property
    def is_unknown(self) -> bool:
        return self.client_id is None


class ChannelCredentials(db.Model):
    """SMTP and Twilio settings typed in Settings → Channels (one row). Secrets are Fernet tokens."""

    id: Mapped[int] = mapped_column(primary_key=True)
    mail_server: Mapped[str] = mapped_column(sa.String(255), default="")
    mail_port: Mapped[int | None]
    mail_security: Mapped[str] = mapped_column(sa.String(8), default="starttls")  # starttls, ssl, none
    mail_username: Mapped[str] = mapped_column(sa.String(255), default="")
    mail_password_encrypted: Mapped[str] = mapped_column(sa.Text, default="")
    mail_from: Mapped[str] = mapped_column(sa.String(255), default="")
    twilio_account_sid: Mapped[str] = mapped_column(sa.String(64), default="")
    twilio_auth_token_encrypted: Mapped[str] = mapped_column(sa.Text, default="")
    twilio_from: Mapped[str] = mapped_column(sa.String(40), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CalendarFeed(db.Model):
    """The secret token in one person's calendar subscription URL. Resetting replaces it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), unique=True)
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
