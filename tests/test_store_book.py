"""The store book (every associate finds every client), its strict variant, claiming, and what ids may reach."""
from datetime import timedelta

import pytest

from clientbook.extensions import db
from clientbook.models import Client, Message, Reminder, Shop
from clientbook.shop import shop_today
from tests.support.clients import HX, allow_associates_everything, make_client
from tests.support.html import select
from tests.support.messaging import enable_channels


@pytest.fixture
def book(app, shop):
    with app.app_context():
        enable_channels(handoff_sms=True, handoff_email=True)
        ids = {
            "ada": make_client("Kenji", "Rossi", phone="+33612345678", email="kenji@example.com",
                               assigned_to_id=shop["associate"], sms_opt_in=True, email_opt_in=True),
            "bea": make_client("Julie", "Berg", phone="+33698765432", email="julie@example.com",
                               assigned_to_id=shop["associate2"], sms_opt_in=True),
            "nobody": make_client("Imported", "Walkin", email="walkin@example.com"),
        }
        today = shop_today()
        foreign = Reminder(rule_id=None, client_id=ids["bea"], occurrence="m1", kind="manual",
                           reason="husband Julien's birthday today", due_date=today, owner_id=shop["associate2"])
        mine = Reminder(rule_id=None, client_id=ids["ada"], occurrence="m2", kind="manual",
                        reason="Call about the ring", due_date=today, owner_id=shop["associate"])
        db.session.add_all([foreign, mine])
        db.session.commit()
        return {**ids, "foreign_reminder": foreign.id, "my_reminder": mine.id}


def test_a_new_shop_keeps_a_store_book(app, shop):
    with app.app_context():
        assert db.session.query(Shop).one().associates_see_all_clients is True


def test_associate_opens_a_colleagues_client_and_sees_who_looks_after_them(client, auth, book):
    auth.login("associate")
    card = client.get(f"/clients/{book['bea']}").get_data(as_text=True)
    assert "Looked after by" in card and "Bea Associate" in card
    rows = client.get("/clients?q=julie", headers=HX).get_data(as_text=True)
    assert "Julie Berg" in rows and "Bea Associate" in rows


def test_strict_shop_hides_the_card_like_a_missing_one(client, auth, app, book):
    with app.app_context():
        allow_associates_everything(False)
    auth.login("associate")
    assert client.get(f"/clients/{book['bea']}").status_code == 404
    assert client.get("/clients/999999").status_code == 404
    assert client.get(f"/clients/{book['bea']}/message").status_code == 404
    # ...yet search says the client exists and whom to ask, and never offers "add as new" alone.
    page = client.get("/clients?q=berg", headers=HX).get_data(as_text=True)
    assert "Julie Berg" in page and "ask" in page and "Bea Associate" in page
    assert "julie@example.com" not in page and "No client matches" not in page
    # Unassigned clients stay open to everyone in a strict shop, so they can be claimed.
    assert client.get(f"/clients/{book['nobody']}").status_code == 200


def test_unassigned_client_is_claimed_in_one_tap(client, auth, app, book, shop):
    auth.login("associate")
    listing = client.get("/clients?q=walkin", headers=HX).get_data(as_text=True)
    assert f"/clients/{book['nobody']}/claim" in listing
    card = client.get(f"/clients/{book['nobody']}").get_data(as_text=True)
    assert "Look after this client" in card
    response = client.post(f"/clients/{book['nobody']}/claim", headers=HX)
    assert response.status_code == 200 and "you" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Client, book["nobody"]).assigned_to_id == shop["associate"]
    # A colleague's client can't be taken this way.
    assert client.post(f"/clients/{book['bea']}/claim", headers=HX).status_code == 409
    with app.app_context():
        assert db.session.get(Client, book["bea"]).assigned_to_id == shop["associate2"]


def test_composer_refuses_a_reminder_of_another_client_or_person(client, auth, app, book):
    auth.login("associate")
    own = client.get(f"/clients/{book['ada']}/message?reminder_id={book['my_reminder']}")
    assert own.status_code == 200 and "Call about the ring" in own.get_data(as_text=True)
    leaked = client.get(f"/clients/{book['ada']}/message?reminder_id={book['foreign_reminder']}")
    assert leaked.status_code == 404 and "Julien" not in leaked.get_data(as_text=True)
    # Even on the reminder's own client (open in the store book), it is not this associate's to work.
    assert client.get(f"/clients/{book['bea']}/message?reminder_id={book['foreign_reminder']}").status_code == 404
    posted = client.post(f"/clients/{book['ada']}/message", data={
        "channel": "handoff_sms", "body": "Hello", "reminder_id": str(book["foreign_reminder"]), "token": "t1"})
    assert posted.status_code == 404
    with app.app_context():
        assert db.session.query(Message).filter_by(reminder_id=book["foreign_reminder"]).count() == 0
    assert client.get(f"/clients/{book['ada']}/message?reminder_id=99999999999999999999").status_code in (400, 404)


def test_follow_up_moves_with_the_client_when_reassigned(client, auth, app, book, shop):
    auth.login("manager")
    assert client.post(f"/clients/{book['ada']}/assignment", headers=HX,
                       data={"assign-assigned_to_id": str(shop["associate2"])}).status_code == 200
    with app.app_context():
        assert db.session.get(Reminder, book["my_reminder"]).owner_id == shop["associate2"]
    auth.logout()
    auth.login("associate")
    assert "Call about the ring" not in client.get("/today").get_data(as_text=True)
    assert client.post(f"/reminders/{book['my_reminder']}/snooze", data={"choice": "tomorrow"}).status_code == 404


def test_email_subject_with_a_line_break_is_refused_at_the_form(client, auth, app, book):
    auth.login("associate")
    response = client.post(f"/clients/{book['ada']}/message", data={
        "channel": "handoff_email", "subject": "Hello\r\nBcc: everyone@example.com", "body": "Hi", "token": "t2"})
    assert response.status_code == 422 and "one line" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(Message).count() == 0


def test_new_client_form_shows_likely_duplicates_before_saving(client, auth, app, book):
    auth.login("associate")
    form = {"first_name": "Julie", "last_name": "BÉRG", "phone": "", "email": ""}
    page = client.post("/clients/new", data=form)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "may already be in the book" in html
    assert any(link.text.startswith("Open this client") for link in select(html, f'a[href="/clients/{book["bea"]}"]'))
    assert "Bea Associate" in html
    by_phone = client.post("/clients/new", data={"first_name": "J", "last_name": "B", "phone": "06 98 76 54 32"})
    assert "Julie Berg" in by_phone.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(Client).count() == 3  # nothing saved yet
    saved = client.post("/clients/new", data={**form, "confirm_new": "1"})
    assert saved.status_code == 303
    with app.app_context():
        assert db.session.query(Client).count() == 4
