"""Replies waiting: unread replies older than N minutes of opening hours on Today, and in the
morning digest with the day's appointments."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from clientbook.appointments import booking
from clientbook.conversations.threads import file_inbound, waiting_since_cutoff
from clientbook.extensions import db
from clientbook.models import Appointment, Reminder, User
from clientbook.reminders.digest import build_digest
from clientbook.shop import shop_today, shop_zone
from tests.support.messaging import make_client

PARIS = ZoneInfo("Europe/Paris")
OPEN, CLOSE = time(10, 0), time(19, 0)


def utc(day: date, at: str) -> datetime:
    return datetime.combine(day, time.fromisoformat(at), tzinfo=PARIS).astimezone(timezone.utc).replace(tzinfo=None)


DAY = date(2026, 6, 2)


@pytest.mark.parametrize("now, cutoff", [
    ("09:00", None),  # closed: the reply waits for the morning
    ("10:10", None),  # open for 10 minutes only
    ("10:30", "10:00"),
    ("15:00", "14:30"),
    ("19:30", None),  # closed again
])
def test_cutoff_counts_only_opening_hours(now, cutoff):
    found = waiting_since_cutoff(utc(DAY, now), PARIS, OPEN, CLOSE, 30)
    assert found == (utc(DAY, cutoff) if cutoff else None)


def test_today_shows_replies_waiting_and_the_digest_lists_them(app, client, auth, shop):
    app.config["REPLIES_WAITING_MINUTES"] = 0
    with app.app_context():
        shop_row = booking.current_shop()
        shop_row.opening_time, shop_row.quiet_hours_end = time(0, 0), time(23, 59)
        camille = make_client(assigned_to_id=shop["associate"])
        file_inbound(channel="sms", sender="+33612345678", to="", body="Is my ring ready?", provider_id="SM1",
                     received_at=booking.utcnow() - timedelta(minutes=5))
        today = shop_today()
        db.session.add(Appointment(client_id=camille.id, associate_id=shop["associate"], purpose="fitting",
                                   starts_at=booking.to_utc(today, time(23, 58), shop_zone())))
        db.session.add(Reminder(client_id=camille.id, occurrence="x", kind="manual", reason="Call back",
                                due_date=today, owner_id=shop["associate"]))
        db.session.commit()
        message, _count = build_digest(db.session.get(User, shop["associate"]), today)
        text = message.get_body(("plain",)).get_content()
        assert "APPOINTMENTS TODAY (1)" in text and "23:58 Camille Martin: fitting" in text
        assert "REPLIES WAITING (1)" in text and "Is my ring ready?" in text
    auth.login("associate")
    page = client.get("/today").data
    assert b"Replies waiting" in page and b"Is my ring ready?" in page
    auth.logout()
    auth.login("associate2")  # not Bea's client: not on her Today
    assert b"Replies waiting" not in client.get("/today").data


def test_replies_waiting_lists_the_oldest_ten_with_their_clients_and_the_total_in_one_statement(app, shop):
    import sqlalchemy as sa

    from clientbook.conversations.threads import waiting_threads

    with app.app_context():
        now = booking.utcnow()
        for n in range(12):
            make_client(first_name=f"Client{n}", email=f"c{n}@example.com", phone=f"+336123456{n:02d}",
                        assigned_to_id=shop["associate"])
            file_inbound(channel="sms", sender=f"+336123456{n:02d}", to="", body=f"Reply {n}", provider_id=f"SM{n}",
                         received_at=now - timedelta(minutes=60 + n))
        make_client(first_name="Other", email="o@example.com", phone="+33699999999", assigned_to_id=shop["associate2"])
        file_inbound(channel="sms", sender="+33699999999", to="", body="Not hers", provider_id="SMX",
                     received_at=now - timedelta(minutes=90))
        db.session.commit()
        db.session.expunge_all()
        ada = db.session.get(User, shop["associate"])
        statements = []

        def record(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        sa.event.listen(db.engine, "before_cursor_execute", record)
        try:
            rows, total = waiting_threads(ada, now - timedelta(minutes=30))
            names = [t.client.first_name for t in rows]  # loaded with the rows: no query per thread
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", record)
        assert len(statements) == 1
        assert total == 12
        assert names == [f"Client{n}" for n in range(11, 1, -1)]  # the longest waiting first
        assert waiting_threads(ada, now - timedelta(minutes=65)) == (rows[:7], 7)
        assert waiting_threads(ada, now - timedelta(minutes=200)) == ([], 0)
