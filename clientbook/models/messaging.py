"""Message templates, the outbox/log, suppression list and campaigns (see the Outreach issue)."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from clientbook.extensions import db
from clientbook.models.core import utcnow

__all__ = ["MessageTemplate"]


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
