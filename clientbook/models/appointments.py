"""Appointments: a client booked with an associate at a time, and what came of it."""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clientbook.extensions import db
from clientbook.models.core import User, utcnow

__all__ = ["Appointment", "APPOINTMENT_PURPOSES", "APPOINTMENT_OUTCOMES"]

APPOINTMENT_PURPOSES = ("fitting", "consultation", "collection", "repair drop-off", "viewing", "other")
APPOINTMENT_OUTCOMES = ("attended", "no_show", "rescheduled")


class Appointment(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("client.id", ondelete="CASCADE"), index=True)
    associate_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    starts_at: Mapped[datetime]  # UTC
    duration_minutes: Mapped[int] = mapped_column(default=30)
    purpose: Mapped[str] = mapped_column(sa.String(40), default="consultation")
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    job_id: Mapped[int | None] = mapped_column(sa.ForeignKey("job.id", ondelete="SET NULL"))  # e.g. a fitting for an order
    outcome: Mapped[str | None] = mapped_column(sa.String(12))  # APPOINTMENT_OUTCOMES
    outcome_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    client = relationship("Client")
    associate: Mapped[User | None] = relationship(foreign_keys=[associate_id])
    job = relationship("Job")

    __table_args__ = (
        sa.Index("ix_appointment_associate_start", "associate_id", "starts_at"),
        sa.Index("ix_appointment_start", "starts_at"),
    )

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)
