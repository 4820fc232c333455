"""Appointments: booking from the card, conflicts, day/week views, Today, outcomes on the timeline,
and client reminders 24 h / 2 h before, DST-correct in the shop's zone."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from clientbook.appointments import booking
from clientbook.appointments.reminders import reminders_by_hand, send_due_reminders
from clientbook.extensions import db
from clientbook.models import Appointment, Message, Reminder, Shop, User
from tests.support.clients import allow_associates_everything, make_client as indexed_client
from tests.support.html import one, select
from clientbook.shop import shop_today
from tests.support.messaging import fake, make_client  # noqa: F401  (fake: a fixture)
from tests.test_twilio import sms_shop  # noqa: F401  (a fixture)

PARIS = booking.zoneinfo.ZoneInfo("Europe/Paris")


def paris(day: date, at: str) -> datetime:
    return booking.to_utc(day, time.fromisoformat(at), PARIS)


def book(test_client, client_id: int, associate_id: int, day: date, start: str, minutes: int = 30, **extra):
    data = {"day": day.isoformat(), "start": start, "duration_minutes": minutes, "purpose": "fitting",
            "associate_id": associate_id, "notes": "Bring the dress", **extra}
    return test_client.post(f"/clients/{client_id}/appointments/new", data=data)


@pytest.fixture
def camille(app, shop):
    with app.app_context():
        return make_client(assigned_to_id=shop["associate"]).id


def add(client_id, associate_id, starts_at, minutes=30, created_at=None) -> int:
    appointment = Appointment(client_id=client_id, associate_id=associate_id, starts_at=starts_at,
                              duration_minutes=minutes, purpose="fitting",
                              created_at=created_at or starts_at - timedelta(days=7))
    db.session.add(appointment)
    db.session.commit()
    return appointment.id


# ---- booking and conflicts -----------------------------------------------------------------------

def test_book_from_the_card_shows_in_week_view_and_today(app, client, auth, shop, camille):
    auth.login("associate")
    with app.app_context():
        today = shop_today()
    assert b"Book appointment" in client.get(f"/clients/{camille}").data
    assert client.get(f"/clients/{camille}/appointments/new").status_code == 200
    # later today, so it shows on Today too (a minute before midnight at worst)
    start = min(booking.to_local(booking.utcnow(), PARIS) + timedelta(minutes=2),
                datetime.combine(today, time(23, 58), tzinfo=PARIS))
    response = book(client, camille, shop["associate"], today, start.strftime("%H:%M"), minutes=15)
    assert response.status_code == 303
    with app.app_context():
        appointment = db.session.scalar(sa.select(Appointment))
        assert appointment.associate_id == shop["associate"] and appointment.notes == "Bring the dress"
        assert booking.to_local(appointment.starts_at, PARIS).strftime("%H:%M") == start.strftime("%H:%M")
    week = client.get("/appointments").data
    assert b"Camille Martin" in week and b"fitting" in week
    assert b"Appointments today" in client.get("/today").data
    assert b"Camille Martin" in client.get("/appointments?view=day&who=shop").data


def test_book_from_a_today_row_goes_back_to_today(app, client, auth, shop, camille):
    auth.login("associate")
    with app.app_context():
        today = shop_today()
        db.session.add(Reminder(rule_id=None, client_id=camille, occurrence="m-call", kind="manual",
                                reason="Call about the ring", due_date=today, owner_id=shop["associate"]))
        db.session.commit()
    page = client.get("/today").data.decode()
    row_link = f"/clients/{camille}/appointments/new?next=/today"
    assert row_link in page and "Book appointment" in page
    form = client.get(row_link).data.decode()
    assert one(form, 'input[name="next"]')["value"] == "/today"
    assert "Cancel" in [link.text for link in select(form, 'a[href="/today"]')]
    response = book(client, camille, shop["associate"], today + timedelta(days=1), "11:00", next="/today")
    assert response.status_code == 303 and response.headers["Location"] == "/today"
    # an outside address is never followed
    response = book(client, camille, shop["associate"], today + timedelta(days=2), "11:00",
                    next="https://elsewhere.test/")
    assert response.headers["Location"] == f"/clients/{camille}"


def test_book_from_today_for_any_client(app, client, auth, shop):
    auth.login("associate")
    with app.app_context():
        camille = indexed_client("Camille", "Martin", assigned_to_id=shop["associate"])
        # someone else's client: not offered where associates see only their own
        indexed_client("Camille", "Haddad", assigned_to_id=shop["associate2"])
        allow_associates_everything(False)
    today_page = client.get("/today").data.decode()
    assert "/appointments/book?next=/today" in today_page
    picker = client.get("/appointments/book?next=/today&q=Camille", headers={"HX-Request": "true"}).data.decode()
    assert "Camille Martin" in picker and "Haddad" not in picker and "<html" not in picker
    assert f"/clients/{camille}/appointments/new?next=/today" in picker
    assert "No client matches" in client.get("/appointments/book?q=Zzyzx").data.decode()
    assert client.get("/appointments/book?q=" + "x" * 5000).status_code == 200


def test_conflicts_are_shown_then_booking_anyway_works(app, client, auth, shop, camille):
    day = date.today() + timedelta(days=3)
    with app.app_context():
        add(camille, shop["associate"], paris(day, "11:00"), 60)
    auth.login("associate")
    response = book(client, camille, shop["associate"], day, "11:30")
    assert response.status_code == 422 and b"already has" in response.data and b"Book anyway" in response.data
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Appointment.id))) == 1
    # the live check while choosing a time says the same
    live = client.get(f"/clients/{camille}/appointments/conflicts?day={day}&start=11:45&duration_minutes=30"
                      f"&associate_id={shop['associate']}", headers={"HX-Request": "true"})
    assert b"already has" in live.data
    free = client.get(f"/clients/{camille}/appointments/conflicts?day={day}&start=12:00&duration_minutes=30"
                      f"&associate_id={shop['associate']}", headers={"HX-Request": "true"})
    assert b"already has" not in free.data
    assert book(client, camille, shop["associate"], day, "11:30", confirm="1").status_code == 303
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Appointment.id))) == 2


@pytest.mark.parametrize("start, minutes, clash", [
    ("10:30", 30, True), ("10:00", 60, True), ("11:59", 5, True), ("12:00", 30, False), ("09:30", 30, False),
])
def test_conflict_boundaries(app, shop, camille, start, minutes, clash):
    day = date(2030, 5, 6)
    with app.app_context():
        add(camille, shop["associate"], paris(day, "10:30"), 90)
        assert bool(booking.conflicts(shop["associate"], paris(day, start), minutes)) is clash
        assert booking.conflicts(shop["associate2"], paris(day, start), minutes) == []


def test_bad_booking_input_is_explained(client, auth, shop, camille):
    auth.login("associate")
    response = client.post(f"/clients/{camille}/appointments/new",
                           data={"day": "not a date", "start": "", "duration_minutes": "30", "purpose": "fitting",
                                 "associate_id": shop["associate"]})
    assert response.status_code == 422 and b"Pick a time." in response.data
    assert client.post(f"/clients/{camille}/appointments/new",
                       data={"day": "2030-01-01", "start": "10:00", "duration_minutes": "99999",
                             "purpose": "fitting", "associate_id": shop["associate"]}).status_code == 422


def test_associates_cannot_book_or_see_someone_elses_client(app, client, auth, shop, camille):
    with app.app_context():
        db.session.query(Shop).one().associates_see_all_clients = False  # a strict shop
        other = make_client(first_name="Berthe", phone="+33622222222", assigned_to_id=shop["associate2"]).id
        appointment_id = add(other, shop["associate2"], paris(date.today() + timedelta(days=1), "15:00"))
    auth.login("associate")
    assert client.get(f"/clients/{other}/appointments/new").status_code in (403, 404)
    assert client.get(f"/appointments/{appointment_id}").status_code in (403, 404)
    assert client.post(f"/appointments/{appointment_id}/cancel").status_code in (403, 404)
    shop_week = client.get("/appointments?who=shop&day=" + (date.today() + timedelta(days=1)).isoformat()).data
    assert b"Booked" in shop_week and b"Berthe" not in shop_week


# ---- outcomes --------------------------------------------------------------------------------------

def test_no_show_is_on_the_timeline(app, client, auth, shop, camille):
    with app.app_context():
        appointment_id = add(camille, shop["associate"], booking.utcnow() - timedelta(hours=2))
    auth.login("associate")
    assert client.post(f"/appointments/{appointment_id}/outcome", data={"outcome": "no_show"}).status_code == 303
    card = client.get(f"/clients/{camille}").data
    assert b"No-show" in card and b"Fitting" in card
    assert client.post(f"/appointments/{appointment_id}/outcome", data={"outcome": "lost"}).status_code == 400


def test_attended_only_once_the_time_has_come(app, client, auth, shop, camille):
    with app.app_context():
        appointment_id = add(camille, shop["associate"], booking.utcnow() + timedelta(days=1))
    auth.login("associate")
    assert client.post(f"/appointments/{appointment_id}/outcome", data={"outcome": "attended"}).status_code == 409


# ---- client reminders --------------------------------------------------------------------------------

def test_24h_is_the_same_wall_time_the_day_before_across_dst(app, shop):
    with app.app_context():
        # Sunday 30 March 2025: Paris moves from UTC+1 to UTC+2 at 02:00.
        spring = Appointment(starts_at=paris(date(2025, 3, 30), "11:00"), duration_minutes=30)
        assert booking.to_local(booking.reminder_due_at(spring, 24, PARIS), PARIS).replace(tzinfo=None) == \
            datetime(2025, 3, 29, 11, 0)
        assert spring.starts_at - booking.reminder_due_at(spring, 24, PARIS) == timedelta(hours=23)
        assert spring.starts_at - booking.reminder_due_at(spring, 2, PARIS) == timedelta(hours=2)
        # Sunday 26 October 2025: back to UTC+1, the day is 25 hours long.
        autumn = Appointment(starts_at=paris(date(2025, 10, 26), "11:00"), duration_minutes=30)
        assert autumn.starts_at - booking.reminder_due_at(autumn, 24, PARIS) == timedelta(hours=25)


def test_reminders_go_out_24h_and_2h_before_once_each(app, shop, sms_shop, fake):
    start = paris(date(2025, 3, 30), "11:00")  # the DST Sunday
    with app.app_context():
        person = make_client(assigned_to_id=shop["associate"])
        add(person.id, shop["associate"], start, created_at=start - timedelta(days=5))
        assert send_due_reminders(start - timedelta(hours=23, minutes=1)) == {"queued": 0, "by_hand": 0}
        assert send_due_reminders(start - timedelta(hours=23))["queued"] == 1  # Saturday 11:00 in Paris
        assert send_due_reminders(start - timedelta(hours=22))["queued"] == 0  # sent once
        assert send_due_reminders(start - timedelta(hours=2))["queued"] == 1
        assert send_due_reminders(start - timedelta(hours=1))["queued"] == 0
        assert send_due_reminders(start + timedelta(minutes=1))["queued"] == 0
        keys = list(db.session.scalars(sa.select(Message.idempotency_key).order_by(Message.id)))
        assert [k.rsplit(":", 1)[1] for k in keys] == ["24h", "2h"]
    assert [m["body"] for m in fake.messages] == [
        "Hello Camille, a reminder of your fitting at Maison Perle tomorrow at 11:00. See you then!",
        "Hello Camille, a reminder of your fitting at Maison Perle today at 11:00. See you then!",
    ]


def test_late_booking_skips_the_24h_reminder_and_consent_still_counts(app, shop, sms_shop, fake):
    start = booking.utcnow() + timedelta(hours=5)
    with app.app_context():
        person = make_client(assigned_to_id=shop["associate"])
        add(person.id, shop["associate"], start, created_at=booking.utcnow())
        assert send_due_reminders(start - timedelta(hours=3))["queued"] == 0
        person.sms_opt_in = False
        person.email_opt_in = False
        db.session.commit()
        assert send_due_reminders(start - timedelta(hours=2)) == {"queued": 0, "by_hand": 1}
    assert fake.messages == []


def test_reminders_can_be_switched_off(app, shop, sms_shop, fake):
    app.config["APPOINTMENT_REMINDER_HOURS"] = ""
    start = booking.utcnow() + timedelta(hours=1)
    with app.app_context():
        add(make_client().id, shop["associate"], start)
        assert send_due_reminders() == {"queued": 0, "by_hand": 0}


def test_without_a_channel_the_associate_reminds_by_hand(app, client, auth, shop, camille):
    start = booking.utcnow() + timedelta(hours=20)
    with app.app_context():
        appointment_id = add(camille, shop["associate"], start)
        ada = db.session.get(User, shop["associate"])
        [(row, text)] = reminders_by_hand(ada)
        assert row.id == appointment_id and text.startswith("Remind Camille about ")
    auth.login("associate")
    assert b"Remind Camille about" in client.get("/today").data
    response = client.post(f"/appointments/{appointment_id}/remind")
    assert response.status_code == 200 and b"sms:+33612345678?body=Hello%20Camille" in response.data
    assert b"Remind Camille about" not in client.get("/today").data


def test_an_appointment_can_be_for_one_of_the_clients_open_jobs(app, client, auth, shop, camille):
    from clientbook.jobs.records import active_job_types, create_job, ensure_job_types
    from clientbook.models import Client

    with app.app_context():
        ensure_job_types()
        job_type = active_job_types()[0]
        job = create_job(db.session.get(Client, camille), job_type, title="Resize ring to 54", user=None)
        other = create_job(make_client(first_name="Other", phone="+33699999999"), job_type, title="Not hers",
                           user=None)
        db.session.commit()
        job_id, other_id = job.id, other.id
    auth.login("associate")
    day = date.today() + timedelta(days=4)
    assert b"Resize ring to 54" in client.get(f"/clients/{camille}/appointments/new").data
    assert book(client, camille, shop["associate"], day, "10:00", job_id=other_id).status_code == 422
    assert book(client, camille, shop["associate"], day, "10:00", job_id=job_id).status_code == 303
    with app.app_context():
        appointment = db.session.scalar(sa.select(Appointment))
        assert appointment.job_id == job_id
    assert b"Resize ring to 54" in client.get(f"/appointments/{appointment.id}").data
