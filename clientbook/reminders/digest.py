"""The morning digest: one email per associate per day, listing who to contact and why.

Links in the email are absolute. Their base is, in order: the SERVER_URL config key
(e.g. CLIENTBOOK_SERVER_URL=http://192.168.1.20:8000, what tablets type in), else
PREFERRED_URL_SCHEME + SERVER_NAME, else http://localhost:8000.
"""
from __future__ import annotations

import smtplib
from datetime import date, datetime, timedelta
from email.message import EmailMessage

import sqlalchemy as sa
from flask import current_app, render_template, url_for

from clientbook.extensions import db
from clientbook.mail import mail_configured, send_email
from clientbook.models import DigestDelivery, Reminder, User, utcnow
from clientbook.reminders import rules as date_rules
from clientbook.reminders import today as queries
from clientbook.shop import current_shop, shop_now, shop_today

MAX_ATTEMPTS = 5
FIRST_RETRY_SECONDS = 60  # then 2, 4, 8 minutes...


def link_base() -> str:
    config = current_app.config
    if config.get("SERVER_URL"):
        return str(config["SERVER_URL"]).rstrip("/")
    if config.get("SERVER_NAME"):
        root = (config.get("APPLICATION_ROOT") or "/").rstrip("/")
        return f"{config.get('PREFERRED_URL_SCHEME') or 'http'}://{config['SERVER_NAME']}{root}"
    return "http://localhost:8000"


def retry_delay(attempt: int) -> int:
    """Seconds before the next try after `attempt` failed tries: exponential backoff."""
    return FIRST_RETRY_SECONDS * 2 ** max(attempt - 1, 0)


def _claim(user_id: int, day: date) -> bool:
    """Record the digest before anything is sent; False if someone already claimed it."""
    table = DigestDelivery.__table__
    values = {"user_id": user_id, "day": day, "state": "claimed", "attempts": 0, "reminder_count": 0,
              "error": "", "claimed_at": utcnow()}
    dialect = db.session.get_bind().dialect.name
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    elif dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        exists = db.session.scalar(sa.select(table.c.id).where(table.c.user_id == user_id, table.c.day == day))
        if exists:
            return False
        db.session.execute(sa.insert(table).values(**values))
        return True
    claimed_id = db.session.execute(insert(table).values(**values).on_conflict_do_nothing(
        index_elements=["user_id", "day"]).returning(table.c.id)).scalar()
    return claimed_id is not None


def schedule_digests(now_utc: datetime | None = None) -> list[tuple[int, date]]:
    """Claim today's digests for everyone who should get one; returns (user_id, day) to send.

    Runs every few minutes; does something only once the shop has opened (shop-local time),
    and each claim is unique per (user, day), so repeated runs claim nothing new.
    """
    shop = current_shop()
    if shop is None or not mail_configured():
        return []
    local = shop_now(now_utc)
    if not date_rules.digest_due(local, shop.opening_time):
        return []
    day = local.date()
    has_due = sa.exists().where(Reminder.owner_id == User.id, Reminder.state.in_(("open", "snoozed")),
                                sa.func.coalesce(Reminder.snoozed_until, Reminder.due_date) <= day)
    candidates = db.session.execute(
        sa.select(User, has_due.label("has_due")).where(
            User.active.is_(True), User.digest_enabled.is_(True),
            ~sa.exists().where(DigestDelivery.user_id == User.id, DigestDelivery.day == day),
        ).order_by(User.id)
    ).all()
    # Nothing due still gets the email when the day holds appointments or replies wait for an answer.
    recipients = [user.id for user, due in candidates if due or _has_news(_extras(user, day, now_utc))]
    claimed = [(user_id, day) for user_id in recipients if _claim(user_id, day)]
    db.session.commit()
    return claimed + _orphaned_claims(day, now_utc)


def _orphaned_claims(day: date, now_utc: datetime | None) -> list[tuple[int, date]]:
    """Today's claims no worker ever started (the one that claimed them died before sending):
    send them again. Starting a send is a conditional UPDATE, so a late original never doubles."""
    cutoff = (now_utc or utcnow()) - timedelta(seconds=current_app.config.get("DIGEST_ORPHANED_AFTER_SECONDS", 600))
    return [(user_id, day) for user_id in db.session.scalars(sa.select(DigestDelivery.user_id).where(
        DigestDelivery.day == day, DigestDelivery.state == "claimed", DigestDelivery.attempts == 0,
        DigestDelivery.claimed_at <= cutoff).order_by(DigestDelivery.user_id))]


def _extras(user: User, day: date, now_utc: datetime | None = None) -> dict:
    """The day's appointments and replies waiting (Appointments and the Inbox own them)."""
    # Imported on use: those features build on reminders, not the other way round.
    from clientbook.appointments.today import digest_extras

    return digest_extras(user, day, now_utc)


def _has_news(extra: dict) -> bool:
    return bool(extra["appointments"] or extra["replies_waiting"])


def _subject(count: int, extra: dict) -> str:
    if count:
        return f"Today: {count} client{'s' if count != 1 else ''} to contact"
    parts = []
    if extra["appointments"]:
        n = len(extra["appointments"])
        parts.append(f"{n} appointment{'s' if n != 1 else ''}")
    if extra["replies_waiting"]:
        n = extra["replies_waiting_total"]
        parts.append(f"{n} repl{'ies' if n != 1 else 'y'} waiting")
    return "Today: " + " and ".join(parts)


def build_digest(user: User, day: date) -> tuple[EmailMessage, int] | None:
    """The email and how many reminders it lists (overdue + today), or None if nothing is due
    and the day holds no appointment and no reply waiting."""
    listing = queries.today_list(user.id, day)
    due = [*listing.overdue, *listing.due_today]
    extra = _extras(user, day)
    if not due and not _has_news(extra):
        return None
    count = listing.totals["overdue"] + listing.totals["today"]
    shop = current_shop()
    base = link_base()
    # Paths come from the URL map; the host from link_base(), whatever request (if any) is around.
    with current_app.test_request_context("/"):
        today_url = base + url_for("reminders.today")
        card_urls = {
            r.client_id: base + url_for("clients.card", client_id=r.client_id)
            for r in due
        }
        context = dict(user=user, shop=shop, day=day, listing=listing, count=count,
                       today_url=today_url, card_urls=card_urls, extra=extra)
        text = render_template("reminders/digest.txt", **context)
        html = render_template("reminders/digest_email.html", **context)
    message = EmailMessage()
    message["Subject"] = _subject(count, extra)
    message["To"] = user.email
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message, count


def deliver_digest(user_id: int, day: date) -> str:
    """Send one claimed digest. Returns "sent", "empty", "skipped" (already handled) or raises to retry.

    The claim row moves claimed -> sending -> delivering -> sent with conditional UPDATEs, so two
    workers running the same task never both send. "delivering" is committed just before the
    mail server receives the message: a worker that dies before that point leaves a digest that is
    safely sent again; one that dies after it leaves an outcome nobody knows ("unknown", shown to
    the owner), never a second copy.
    """
    if not mail_configured():
        return "skipped"
    _claim(user_id, day)  # a digest sent without the scheduler is claimed here
    table = DigestDelivery.__table__
    taken = db.session.execute(
        sa.update(table).where(table.c.user_id == user_id, table.c.day == day, table.c.state == "claimed",
                               table.c.attempts < MAX_ATTEMPTS)
        .values(state="sending", attempts=table.c.attempts + 1, sending_since=utcnow())
    ).rowcount
    db.session.commit()
    if taken != 1:
        return "skipped"
    delivery = db.session.scalar(sa.select(DigestDelivery).where(DigestDelivery.user_id == user_id,
                                                                  DigestDelivery.day == day))
    user = db.session.get(User, user_id)
    built = build_digest(user, day) if user is not None and user.active and user.digest_enabled else None
    if built is None:
        delivery.state, delivery.sent_at = "empty", utcnow()
        db.session.commit()
        return "empty"
    message, delivery.reminder_count = built
    db.session.commit()

    def handing_over():
        delivery.state = "delivering"
        db.session.commit()

    try:
        send_email(message, handing_over=handing_over)
    except (smtplib.SMTPException, OSError) as error:
        delivery.error = f"{type(error).__name__}: {error}"[:500]
        if delivery.state == "delivering" and not isinstance(error, smtplib.SMTPResponseException):
            # The connection broke while the server was taking the message: it may have arrived.
            delivery.state = "unknown"
            db.session.commit()
            return "unknown"
        delivery.state = "claimed" if delivery.attempts < MAX_ATTEMPTS else "failed"
        db.session.commit()
        raise DigestNotSent(delivery.attempts, delivery.state == "claimed") from error
    delivery.state, delivery.sent_at, delivery.error = "sent", utcnow(), ""
    db.session.commit()
    return "sent"


STALLED_AFTER = timedelta(minutes=5)  # well beyond the mail timeout: nobody is still sending it
LOST_WHILE_DELIVERING = ("The worker stopped while the mail server was receiving this digest: "
                         "it may or may not have arrived.")
LOST_TOO_LATE = "The worker stopped before sending it, and the day was over when it started again."


def recover_stalled_digests(now_utc: datetime | None = None) -> list[tuple[int, date]]:
    """Digests whose worker died mid-send: not yet handed over -> claimed again (returned, to send);
    handed over -> "unknown"; from a past day or out of attempts -> failed. Safe to run anywhere."""
    now_utc = now_utc or utcnow()
    today = shop_today(now_utc)
    table = DigestDelivery.__table__
    stalled = db.session.execute(sa.select(table.c.id, table.c.user_id, table.c.day, table.c.state,
                                           table.c.attempts).where(
        table.c.state.in_(("sending", "delivering")),
        sa.or_(table.c.sending_since.is_(None), table.c.sending_since <= now_utc - STALLED_AFTER),
    )).all()
    resend = []
    for row in stalled:
        if row.state == "delivering":
            change = {"state": "unknown", "error": LOST_WHILE_DELIVERING}
        elif row.day < today or row.attempts >= MAX_ATTEMPTS:
            change = {"state": "failed", "error": LOST_TOO_LATE}
        else:
            change = {"state": "claimed"}
        moved = db.session.execute(sa.update(table).where(table.c.id == row.id, table.c.state == row.state)
                                   .values(**change)).rowcount
        if moved and change["state"] == "claimed":
            resend.append((row.user_id, row.day))
    db.session.commit()
    return resend


def digests_needing_attention(limit: int = 10) -> list[DigestDelivery]:
    """Recent digests nobody can vouch for (or that failed), for the owner to check."""
    return list(db.session.scalars(
        sa.select(DigestDelivery).where(DigestDelivery.state.in_(("unknown", "failed")))
        .order_by(DigestDelivery.day.desc(), DigestDelivery.id.desc()).limit(limit)))


class DigestNotSent(Exception):
    def __init__(self, attempts: int, will_retry: bool):
        super().__init__(f"digest not sent after {attempts} attempt(s)")
        self.attempts = attempts
        self.will_retry = will_retry
