"""Bookkeeping for running the shop safely: used form tokens and the privacy log."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from clientbook.extensions import db
from clientbook.models.core import utcnow

__all__ = ["UsedFormToken", "PrivacyRequest"]


class UsedFormToken(db.Model):
    """A form that was saved once: the same form sent again (a retry, a double tap) saves nothing new."""

    token: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    used_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class PrivacyRequest(db.Model):
    """Who exported or erased a client's data, and when (the client's name is not kept after an erase)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16))  # export / erase
    client_id: Mapped[int]  # no foreign key: the log outlives an erased client
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    summary: Mapped[str] = mapped_column(sa.String(300), default="")
    done_at: Mapped[datetime] = mapped_column(default=utcnow)
