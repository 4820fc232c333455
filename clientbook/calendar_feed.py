"""Each staff member's private calendar feed (RFC 5545): their appointments and due reminders, at
a secret URL a phone or Outlook subscribes to.

The token in the URL opens this one feed and nothing else (no session is created). Resetting it
replaces the token, so the old URL stops at once; a deactivated account's feed stops too. Events
carry the client's name and the purpose, never contact details or notes: a phone calendar is
synced to places the shop does not control.
"""
from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from datetime import date, datetime, timedelta, timezone

import click
import sqlalchemy as sa
from flask import Blueprint, Flask, Response, abort, flash, redirect, url_for
from flask.cli import with_appcontext
from flask_login import current_user, login_required
from icalendar import Calendar, Event
from sqlalchemy.orm import selectinload

from clientbook.extensions import db
from clientbook.models import Appointment, CalendarFeed, Reminder, User, utcnow
from clientbook.web import external_url, render

bp = Blueprint("calendar", __name__)

PAST_DAYS = 30
FUTURE_DAYS = 90
# Phones poll a feed every few minutes and it rarely changes: each process keeps the last feeds it
# built, reused while the person's appointments and reminders look the same and for at most this long
# (so a renamed client or a snoozed reminder shows within minutes).
CACHE_SECONDS = 300
CACHE_SIZE = 200
_built: OrderedDict[int, tuple[tuple, float, bytes]] = OrderedDict()


# ---- tokens --------------------------------------------------------------------------------------

def feed_for(user: User) -> CalendarFeed:
    """The person's feed row, created with a fresh token on first use. The caller commits."""
    feed = db.session.scalar(sa.select(CalendarFeed).where(CalendarFeed.user_id == user.id))
    if feed is None:
        feed = CalendarFeed(user_id=user.id, token=secrets.token_urlsafe(32))
        db.session.add(feed)
        db.session.flush()
    return feed


def reset_token(user: User) -> CalendarFeed:
    feed = feed_for(user)
    feed.token, feed.created_at = secrets.token_urlsafe(32), utcnow()
    return feed


def feed_url(feed: CalendarFeed) -> str:
    return external_url("calendar.feed", token=feed.token)


# ---- the feed itself ---------------------------------------------------------------------------------

def _aware(instant: datetime) -> datetime:
    return instant.replace(tzinfo=timezone.utc)


def build_feed(user: User, shop_name: str, now: datetime | None = None) -> bytes:
    now = now or utcnow()
    calendar = Calendar()
    calendar.add("prodid", "-//Clientbook//Appointments//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"{shop_name} · {user.name}")
    calendar.add("refresh-interval", timedelta(minutes=30), parameters={"VALUE": "DURATION"})
    stamp = _aware(now)
    appointments = db.session.scalars(
        sa.select(Appointment).where(
            Appointment.associate_id == user.id, Appointment.cancelled_at.is_(None),
            Appointment.starts_at >= now - timedelta(days=PAST_DAYS),
            Appointment.starts_at < now + timedelta(days=FUTURE_DAYS))
        .options(selectinload(Appointment.client)).order_by(Appointment.starts_at)
    )
    for appointment in appointments:
        event = Event()
        event.add("uid", f"appointment-{appointment.id}@clientbook")
        event.add("dtstamp", stamp)
        event.add("dtstart", _aware(appointment.starts_at))
        event.add("dtend", _aware(appointment.ends_at))
        event.add("summary", f"{appointment.purpose.capitalize()} · {appointment.client.full_name}")
        event.add("url", external_url("appointments.show", appointment_id=appointment.id))
        calendar.add_component(event)
    today = now.date()
    reminders = db.session.execute(
        sa.select(Reminder.id, Reminder.kind, Reminder.due_date, Reminder.snoozed_until, Reminder.client_id)
        .where(Reminder.owner_id == user.id, Reminder.state.in_(("open", "snoozed")),
               sa.func.coalesce(Reminder.snoozed_until, Reminder.due_date) < today + timedelta(days=FUTURE_DAYS))
    ).all()
    names = _client_names({row.client_id for row in reminders})
    for row in reminders:
        day = max(row.snoozed_until or row.due_date, today)  # overdue ones sit on today
        event = Event()
        event.add("uid", f"reminder-{row.id}@clientbook")
        event.add("dtstamp", stamp)
        event.add("dtstart", day)
        event.add("dtend", day + timedelta(days=1))
        event.add("summary", f"Contact {names.get(row.client_id, 'a client')} ({row.kind})")
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    return calendar.to_ical()


def _version(user: User, now: datetime) -> tuple:
    """Cheap facts that change whenever the feed would: two aggregate queries on indexed columns."""
    appointments = db.session.execute(
        sa.select(sa.func.count(Appointment.id), sa.func.max(Appointment.updated_at)).where(
            Appointment.associate_id == user.id, Appointment.starts_at >= now - timedelta(days=PAST_DAYS),
            Appointment.starts_at < now + timedelta(days=FUTURE_DAYS))).one()
    reminders = db.session.execute(
        sa.select(sa.func.count(Reminder.id), sa.func.max(Reminder.id)).where(
            Reminder.owner_id == user.id, Reminder.state.in_(("open", "snoozed")))).one()
    return (now.date(), user.name, tuple(appointments), tuple(reminders))


def cached_feed(user: User, shop_name: str) -> bytes:
    now = utcnow()
    version = (_version(user, now), shop_name, str(db.engine.url))
    hit = _built.get(user.id)
    if hit is not None and hit[0] == version and time.monotonic() - hit[1] < CACHE_SECONDS:
        _built.move_to_end(user.id)
        return hit[2]
    body = build_feed(user, shop_name, now)
    _built[user.id] = (version, time.monotonic(), body)
    while len(_built) > CACHE_SIZE:
        _built.popitem(last=False)
    return body


def _client_names(ids: set[int]) -> dict[int, str]:
    from clientbook.models import Client

    if not ids:
        return {}
    rows = db.session.execute(sa.select(Client.id, Client.first_name, Client.last_name).where(Client.id.in_(ids)))
    return {row.id: f"{row.first_name} {row.last_name}".strip() or f"Client #{row.id}" for row in rows}


@bp.get("/calendar/<token>.ics")
def feed(token: str):
    if len(token) > 100:
        abort(404)
    row = db.session.execute(
        sa.select(CalendarFeed, User).join(User, User.id == CalendarFeed.user_id)
        .where(CalendarFeed.token == token)).first()
    if row is None or not secrets.compare_digest(row.CalendarFeed.token, token) or not row.User.active:
        abort(404)
    from clientbook.shop import current_shop

    shop = current_shop()
    response = Response(cached_feed(row.User, shop.name if shop else "Clientbook"), mimetype="text/calendar")
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


# ---- the person's own page ----------------------------------------------------------------------------

@bp.get("/me/calendar")
@login_required
def mine():
    feed_row = db.session.scalar(sa.select(CalendarFeed).where(CalendarFeed.user_id == current_user.id))
    return render("appointments/calendar_feed.html", None, url=feed_url(feed_row) if feed_row else None)


@bp.post("/me/calendar")
@login_required
def create_or_reset():
    had_one = db.session.scalar(sa.select(CalendarFeed.id).where(CalendarFeed.user_id == current_user.id))
    reset_token(current_user) if had_one else feed_for(current_user)
    db.session.commit()
    flash("New calendar address made: the old one no longer works." if had_one else "Your calendar address is ready.",
          "success")
    return redirect(url_for("calendar.mine"), 303)


@click.command("calendar-url")
@click.argument("email")
@with_appcontext
def calendar_url_command(email: str) -> None:
    """Print the calendar feed URL of the staff member with this EMAIL (made on first use)."""
    user = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise click.ClickException(f"No staff member with the email {email}.")
    feed_row = feed_for(user)
    db.session.commit()
    click.echo(feed_url(feed_row))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.cli.add_command(calendar_url_command)
