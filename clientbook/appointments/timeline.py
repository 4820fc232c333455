"""Appointments on the client's timeline: when booked, and what came of them."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from clientbook.extensions import db
from clientbook.models import Appointment


def appointment_entries(client_id: int, limit: int | None) -> list:
    from clientbook.clients.timeline import TimelineEntry

    rows = db.session.scalars(
        sa.select(Appointment).where(Appointment.client_id == client_id)
        .order_by(Appointment.starts_at.desc(), Appointment.id.desc()).limit(limit)
        .options(selectinload(Appointment.associate))
    ).all()
    return [TimelineEntry(when=a.starts_at, kind="appointment", template="appointments/_timeline.html",
                          data={"appointment": a}) for a in rows]


def register() -> None:
    from clientbook.clients.timeline import register_timeline_source

    register_timeline_source(appointment_entries)
