"""The private calendar feed: contents parsed back with icalendar, token reset, nothing else reachable."""
from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from icalendar import Calendar

from clientbook.extensions import db
from clientbook.models import Appointment, CalendarFeed, Reminder, User
from clientbook.models import utcnow
from tests.support.html import one
from tests.support.messaging import make_client


def feed_path(runner, email="ada@maison-perle.com") -> str:
    result = runner.invoke(args=["calendar-url", email])
    assert result.exit_code == 0, result.output
    url = result.output.strip()
    assert url.startswith("http://clientbook.test/calendar/") and url.endswith(".ics")
    return url.removeprefix("http://clientbook.test")


def seed(app, shop) -> dict:
    with app.app_context():
        mine = make_client(first_name="Camille", assigned_to_id=shop["associate"])
        theirs = make_client(first_name="Berthe", phone="+33622222222", email="b@example.com",
                             assigned_to_id=shop["associate2"])
        now = utcnow()
        rows = [
            Appointment(client_id=mine.id, associate_id=shop["associate"], starts_at=now + timedelta(days=1),
                        duration_minutes=45, purpose="fitting", notes="secret note"),
            Appointment(client_id=theirs.id, associate_id=shop["associate2"], starts_at=now + timedelta(days=1),
                        purpose="consultation"),
            Appointment(client_id=mine.id, associate_id=shop["associate"], starts_at=now + timedelta(days=2),
                        purpose="collection", cancelled_at=now),
            Appointment(client_id=mine.id, associate_id=shop["associate"], starts_at=now + timedelta(days=200),
                        purpose="repair drop-off"),
            Reminder(client_id=mine.id, occurrence="x", kind="birthday", due_date=date.today() + timedelta(days=3),
                     owner_id=shop["associate"], state="open"),
            Reminder(client_id=theirs.id, occurrence="y", kind="birthday", due_date=date.today(),
                     owner_id=shop["associate2"], state="open"),
        ]
        db.session.add_all(rows)
        db.session.commit()
        return {"fitting": rows[0].id}


def events(data: bytes) -> list:
    return list(Calendar.from_ical(data).walk("VEVENT"))


def test_feed_holds_the_persons_appointments_and_reminders_only(app, client, runner, shop):
    ids = seed(app, shop)
    response = client.get(feed_path(runner))
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert "no-store" in response.headers["Cache-Control"]
    found = events(response.data)
    summaries = sorted(str(e["SUMMARY"]) for e in found)
    assert summaries == ["Contact Camille Martin (birthday)", "Fitting · Camille Martin"]
    fitting = next(e for e in found if str(e["UID"]) == f"appointment-{ids['fitting']}@clientbook")
    assert fitting.decoded("DTEND") - fitting.decoded("DTSTART") == timedelta(minutes=45)
    # Nothing beyond name and purpose: no notes, no phone, no email, and nothing of Berthe's.
    for needle in (b"secret note", b"+336", b"@example.com", b"Berthe", b"consultation"):
        assert needle not in response.data
    assert client.get("/today").status_code in (302, 401)  # the token signs nobody in
    assert "Set-Cookie" not in response.headers


def test_reset_stops_the_old_url_at_once(app, client, auth, runner, shop):
    old = feed_path(runner)
    assert client.get(old).status_code == 200
    auth.login("associate")
    assert b"calendar" in client.get("/me/calendar").data
    assert client.post("/me/calendar").status_code == 303
    assert client.get(old).status_code == 404
    page = client.get("/me/calendar").data.decode()
    new = one(page, "input#feed-url")["value"]
    assert new != "http://clientbook.test" + old
    assert client.get(new.removeprefix("http://clientbook.test")).status_code == 200


def test_deactivated_staff_feed_stops_and_bad_tokens_are_404(app, client, runner, shop):
    path = feed_path(runner)
    with app.app_context():
        db.session.get(User, shop["associate"]).active = False
        db.session.commit()
    assert client.get(path).status_code == 404
    assert client.get("/calendar/nope.ics").status_code == 404
    assert client.get("/calendar/" + "x" * 500 + ".ics").status_code == 404


def test_cli_knows_nobody_else(runner, shop):
    result = runner.invoke(args=["calendar-url", "nobody@example.com"])
    assert result.exit_code != 0 and "No staff member" in result.output


def test_each_person_has_their_own_token(app, runner, shop):
    assert feed_path(runner) != feed_path(runner, "bea@maison-perle.com")
    assert feed_path(runner) == feed_path(runner)  # printing it again does not change it
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(CalendarFeed.id))) == 2


def test_a_new_appointment_shows_at_once_despite_the_cache(app, client, runner, shop):
    seed(app, shop)
    path = feed_path(runner)
    assert len(events(client.get(path).data)) == 2
    with app.app_context():
        client_id = db.session.scalar(sa.select(Appointment.client_id).where(Appointment.purpose == "fitting"))
        db.session.add(Appointment(client_id=client_id, associate_id=shop["associate"], purpose="viewing",
                                   starts_at=utcnow() + timedelta(days=5)))
        db.session.commit()
    assert "Viewing · Camille Martin" in [str(e["SUMMARY"]) for e in events(client.get(path).data)]
