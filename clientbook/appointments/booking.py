"""Appointments as plain functions: shop-local days and weeks, conflicts, who may see what,
outcomes, and the client reminders due 24 h / 2 h before."""
from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload

from clientbook.clients.access import can_open_client
from clientbook.extensions import db
from clientbook.models import Appointment, Client, User, utcnow
from clientbook.shop import current_shop


# ---- time in the shop's zone -------------------------------------------------------------------

def to_utc(day: date, at: time, zone: zoneinfo.ZoneInfo) -> datetime:
    """A shop-local wall time as the naive UTC instant it is stored as."""
    return datetime.combine(day, at, tzinfo=zone).astimezone(timezone.utc).replace(tzinfo=None)


def to_local(instant: datetime, zone: zoneinfo.ZoneInfo) -> datetime:
    return instant.replace(tzinfo=timezone.utc).astimezone(zone)


def day_range(first: date, days: int, zone: zoneinfo.ZoneInfo) -> tuple[datetime, datetime]:
    """UTC bounds of `days` shop-local days from `first` (a DST day is 23 or 25 hours long)."""
    return to_utc(first, time(0), zone), to_utc(first + timedelta(days=days), time(0), zone)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


# ---- reading ---------------------------------------------------------------------------------------

def between(start: datetime, end: datetime, associate_id: int | None = None) -> list[Appointment]:
    # Client and associate are many-to-one: joined into the one query rather than two more.
    query = (sa.select(Appointment)
             .where(Appointment.starts_at >= start, Appointment.starts_at < end, Appointment.cancelled_at.is_(None))
             .options(joinedload(Appointment.client), joinedload(Appointment.associate))
             .order_by(Appointment.starts_at, Appointment.id))
    if associate_id is not None:
        query = query.where(Appointment.associate_id == associate_id)
    return list(db.session.scalars(query))


def may_see_client(user: User, appointment: Appointment) -> bool:
    """The associate serving the client sees who it is; others only when they may open the card."""
    return appointment.associate_id == user.id or can_open_client(user, appointment.client, current_shop())


def conflicts(associate_id: int | None, starts_at: datetime, minutes: int,
              exclude_id: int | None = None) -> list[Appointment]:
    """The associate's other appointments overlapping [starts_at, starts_at + minutes)."""
    if associate_id is None:
        return []
    ends_at = starts_at + timedelta(minutes=minutes)
    # Appointments last at most a day, so only those starting in the day before can reach in.
    candidates = between(starts_at - timedelta(days=1), ends_at, associate_id)
    return [a for a in candidates if a.id != exclude_id and a.ends_at > starts_at]


def set_outcome(appointment: Appointment, outcome: str) -> None:
    appointment.outcome, appointment.outcome_at = outcome, utcnow()


# ---- client reminders ---------------------------------------------------------------------------------

def reminder_offsets() -> list[int]:
    """Hours before an appointment a client is reminded (config APPOINTMENT_REMINDER_HOURS, "24,2";
    empty switches them off)."""
    raw = current_app.config.get("APPOINTMENT_REMINDER_HOURS", "24,2")
    values = raw if isinstance(raw, (list, tuple)) else str(raw).split(",")
    hours = sorted({int(v) for v in values if str(v).strip().isdigit() and 0 < int(v) <= 24 * 14}, reverse=True)
    return hours


def reminder_due_at(appointment: Appointment, hours: int, zone: zoneinfo.ZoneInfo) -> datetime:
    """When the `hours`-before reminder is due. Whole days count in the shop's wall clock ("tomorrow
    at 11:00" goes out at 11:00 the day before, even across a DST change); the rest in real hours."""
    days, rest = divmod(hours, 24)
    local = to_local(appointment.starts_at, zone)
    wall = datetime.combine(local.date() - timedelta(days=days), local.time(), tzinfo=zone)
    return wall.astimezone(timezone.utc).replace(tzinfo=None) - timedelta(hours=rest)


@dataclass
class DueReminder:
    appointment: Appointment
    hours: int

    @property
    def key(self) -> str:
        return f"appointment:{self.appointment.id}:{self.hours}h"


def due_reminders(now: datetime, zone: zoneinfo.ZoneInfo, associate_id: int | None = None) -> list[DueReminder]:
    """Reminders whose time has come and whose appointment is still ahead (one associate's, if
    given). A reminder whose time had already passed when the appointment was booked is not sent."""
    offsets = sorted(reminder_offsets())
    if not offsets:
        return []
    horizon = now + timedelta(hours=max(offsets) + 2)  # a DST day adds at most an hour
    due = []
    for appointment in between(now, horizon, associate_id):
        for hours in offsets:
            at = reminder_due_at(appointment, hours, zone)
            if at <= now and at >= appointment.created_at - timedelta(minutes=1):
                due.append(DueReminder(appointment, hours))
                break  # the one closest to the appointment: a late scan never sends 24 h and 2 h together
    return due


def when_words(instant: datetime, zone: zoneinfo.ZoneInfo, now: datetime) -> str:
    """ "today 11:00", "tomorrow 11:00" or "Monday 3 March 11:00", in the shop's zone."""
    local = to_local(instant, zone)
    today = to_local(now, zone).date()
    day = ("today" if local.date() == today else "tomorrow" if local.date() == today + timedelta(days=1)
           else f"{local:%A} {local.day} {local:%B}")
    return f"{day} {local:%H:%M}"


def reminder_text(appointment: Appointment, shop_name: str, zone: zoneinfo.ZoneInfo, now: datetime) -> str:
    client: Client = appointment.client
    day, _, hour = when_words(appointment.starts_at, zone, now).rpartition(" ")
    hello = f"Hello {client.first_name}, " if client.first_name else "Hello, "
    return f"{hello}a reminder of your {appointment.purpose} at {shop_name} {day} at {hour}. See you then!"
