"""The Today list and its actions through the Flask test client, role by role."""
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from clientbook.extensions import db
from clientbook.models import Reminder
from clientbook.shop import shop_today
from tests.support.html import one
from tests.support.reminders import add_client, add_purchase


def _reminder(client_id, owner_id, due, reason="Call about the ring", kind="manual", occurrence=None):
    reminder = Reminder(rule_id=None, client_id=client_id, occurrence=occurrence or f"m{client_id}-{due}-{reason}",
                        kind=kind, reason=reason, due_date=due, owner_id=owner_id)
    db.session.add(reminder)
    db.session.flush()
    return reminder


@pytest.fixture
def book(app, shop):
    """Ada has one overdue, one due today and one next-week reminder; Bea one today; the queue one."""
    with app.app_context():
        today = shop_today()
        ada_client = add_client("Marc", "Dupont", owner_id=shop["associate"])
        add_purchase(ada_client, today - timedelta(days=40), items=(("Pearl earrings", "Earrings"),))
        bea_client = add_client("Nina", "Berg", owner_id=shop["associate2"])
        nobody = add_client("Lone", "Wolf")
        ids = {
            "overdue": _reminder(ada_client.id, shop["associate"], today - timedelta(days=3), "Overdue call").id,
            "today": _reminder(ada_client.id, shop["associate"], today, "Call about the ring").id,
            "soon": _reminder(ada_client.id, shop["associate"], today + timedelta(days=5), "Soon call").id,
            "later": _reminder(ada_client.id, shop["associate"], today + timedelta(days=20), "Much later").id,
            "bea": _reminder(bea_client.id, shop["associate2"], today, "Bea's call").id,
            "queue": _reminder(nobody.id, None, today, "Queue call").id,
        }
        db.session.commit()
        return {**ids, "today_date": today, "ada_client": ada_client.id, "bea_client": bea_client.id,
                "ada_owner": shop["associate"]}


def _state(app, reminder_id):
    with app.app_context():
        return db.session.get(Reminder, reminder_id)


def test_associate_sees_own_list_grouped(client, auth, book):
    auth.login("associate")
    page = client.get("/today").get_data(as_text=True)
    assert page.index("Overdue call") < page.index("Call about the ring") < page.index("Soon call")
    assert "Next 7 days" in page and "Much later" not in page
    assert "Bea&#39;s call" not in page and "Queue call" not in page
    assert "Last bought: Pearl earrings" in page
    assert one(page, "#today-badge").text == "(2 due)"


@pytest.mark.parametrize("who, viewer, status, visible", [
    ("", "associate", 200, "Call about the ring"),
    ("queue", "associate", 403, None),
    ("associate2", "associate", 403, None),
    ("associate2", "manager", 200, "Bea&#39;s call"),
    ("queue", "manager", 200, "Queue call"),
    ("queue", "owner", 200, "Queue call"),
])
def test_who_sees_which_list(client, auth, book, shop, who, viewer, status, visible):
    auth.login(viewer)
    query = {"who": shop.get(who, who)} if who else {}
    response = client.get("/today", query_string=query)
    assert response.status_code == status
    if visible:
        assert visible in response.get_data(as_text=True)


def test_manager_sees_selector_and_timeliness(client, auth, book, app, shop):
    with app.app_context():
        today = book["today_date"]
        on_time = _reminder(book["ada_client"], shop["associate"], today - timedelta(days=5), "Past on time")
        on_time.state, on_time.completed_on = "done", today - timedelta(days=5)
        late = _reminder(book["ada_client"], shop["associate"], today - timedelta(days=4), "Past late")
        late.state, late.completed_on = "done", today - timedelta(days=1)
        db.session.commit()
    auth.login("manager")
    page = client.get("/today").get_data(as_text=True)
    assert 'label for="today-who"' in page and "Shop queue (1 due)" in page
    assert "On time, last 30 days" in page
    # Ada: 1 on time of 3 due in the past 30 days (the still-open overdue one counts as late)
    assert "33%" in page and "1 of 3" in page


@pytest.mark.parametrize("action, data, state", [
    ("done", {"outcome": "texted"}, "done"),
    ("snooze", {"choice": "tomorrow"}, "snoozed"),
    ("snooze", {"choice": "next_week"}, "snoozed"),
    ("dismiss", {"reason": "already_in_touch"}, "dismissed"),
])
def test_actions_work_as_plain_forms(client, auth, book, app, action, data, state):
    auth.login("associate")
    response = client.post(f"/reminders/{book['today']}/{action}", data={**data, "next": "/today"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/today")
    assert _state(app, book["today"]).state == state


def test_done_with_htmx_swaps_the_row_and_the_badge(client, auth, book, app):
    auth.login("associate")
    response = client.post(f"/reminders/{book['today']}/done", data={"outcome": "called"},
                           headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'id="reminder-{book["today"]}"' in body and "Done · Called" in body and ">Undo<" in body
    assert 'id="today-badge"' in body and 'hx-swap-oob="true"' in body
    reminder = _state(app, book["today"])
    assert reminder.outcome == "called" and reminder.completed_on == book["today_date"]
    # Undo puts it back
    client.post(f"/reminders/{book['today']}/reopen", headers={"HX-Request": "true"})
    assert _state(app, book["today"]).state == "open"


def test_row_modes_open_in_place(client, auth, book):
    auth.login("associate")
    body = client.get(f"/reminders/{book['today']}", query_string={"mode": "done"},
                      headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in body and ">Texted<" in body and ">No answer<" in body
    page = client.get(f"/reminders/{book['today']}", query_string={"mode": "snooze"}).get_data(as_text=True)
    assert "<html" in page and "Pick a day" in page
    assert client.get(f"/reminders/{book['today']}", query_string={"mode": "reassign"}).status_code == 404


def test_snooze_to_a_picked_day_and_bad_input(client, auth, book, app):
    auth.login("associate")
    picked = book["today_date"] + timedelta(days=10)
    client.post(f"/reminders/{book['today']}/snooze", data={"choice": "date", "until": picked.isoformat()})
    reminder = _state(app, book["today"])
    assert reminder.state == "snoozed" and reminder.snoozed_until == picked
    response = client.post(f"/reminders/{book['overdue']}/snooze", data={"choice": "date", "until": "2001-01-01"},
                           headers={"HX-Request": "true"})
    assert response.status_code == 422 and "Pick a day after today." in response.get_data(as_text=True)
    assert _state(app, book["overdue"]).state == "open"
    response = client.post(f"/reminders/{book['overdue']}/done", data={"outcome": "telepathy"})
    assert response.status_code == 422 and _state(app, book["overdue"]).state == "open"


def test_snoozed_reminder_comes_back(client, auth, book, app):
    with app.app_context():
        reminder = db.session.get(Reminder, book["overdue"])
        reminder.state, reminder.snoozed_until = "snoozed", book["today_date"]
        db.session.commit()
    auth.login("associate")
    page = client.get("/today").get_data(as_text=True)
    assert page.index("Today") < page.index("Overdue call")
    assert "Snoozed until" in page


@pytest.mark.parametrize("actor, target, status", [
    ("associate2", "today", 404),  # someone else's reminder
    ("associate", "queue", 404),  # the shop queue is for managers
    ("associate", "bea", 404),
    ("manager", "bea", 303),
    ("owner", "queue", 303),
])
def test_actions_on_other_peoples_reminders(client, auth, book, app, actor, target, status):
    auth.login(actor)
    response = client.post(f"/reminders/{book[target]}/done", data={"outcome": "texted"})
    assert response.status_code == status
    assert (_state(app, book[target]).state == "done") is (status == 303)


def test_reassign_is_for_managers(client, auth, book, app, shop):
    auth.login("associate")
    assert client.post(f"/reminders/{book['today']}/reassign", data={"owner_id": shop["associate2"]}).status_code == 403
    auth.logout()
    auth.login("manager")
    response = client.post(f"/reminders/{book['queue']}/reassign", data={"owner_id": shop["associate2"]},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert _state(app, book["queue"]).owner_id == shop["associate2"]
    client.post(f"/reminders/{book['queue']}/reassign", data={"owner_id": "queue"})
    assert _state(app, book["queue"]).owner_id is None


def test_digest_toggle(client, auth, book, app, shop):
    auth.login("associate")
    response = client.post("/today/digest", data={"digest_enabled": "0"}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and "Turn on" in response.get_data(as_text=True)
    from clientbook.models import User
    with app.app_context():
        assert db.session.get(User, shop["associate"]).digest_enabled is False


def test_follow_up_from_the_card(client, auth, book, app, shop):
    auth.login("associate")
    due = book["today_date"] + timedelta(days=3)
    response = client.post(f"/reminders/client/{book['ada_client']}", headers={"HX-Request": "true"}, data={
        "reason": "Call when the custom order arrives", "due_date": due.isoformat(), "owner_id": shop["associate"],
    })
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="client-reminders"' in body
    assert "Call when the custom order arrives" in body
    with app.app_context():
        follow_up = db.session.scalar(sa.select(Reminder).where(Reminder.reason.like("Call when%")))
        assert follow_up.kind == "manual" and follow_up.due_date == due and follow_up.owner_id == shop["associate"]
    # Bad input: message beside the field, 422, nothing saved.
    response = client.post(f"/reminders/client/{book['ada_client']}", headers={"HX-Request": "true"},
                           data={"reason": "", "due_date": "2001-01-01", "owner_id": shop["associate"]})
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "Say what the follow-up is for." in body
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Reminder).where(Reminder.kind == "manual")) == 7


def _strict_shop(app):
    from clientbook.models import Shop
    with app.app_context():
        db.session.query(Shop).one().associates_see_all_clients = False
        db.session.commit()


def test_follow_up_for_an_invisible_client_is_refused(client, auth, book, app):
    _strict_shop(app)
    auth.login("associate")
    response = client.post(f"/reminders/client/{book['bea_client']}", data={
        "reason": "Peek", "due_date": book["today_date"].isoformat(), "owner_id": "0"})
    assert response.status_code in (403, 404)


def test_today_needs_sign_in(client, book):
    assert client.get("/today").status_code == 302


def test_long_group_shows_a_screenful_then_show_all(client, auth, book, app, shop):
    from clientbook.reminders.today import GROUP_SHOWN
    with app.app_context():
        many = add_client("Many", "Calls", owner_id=shop["associate"])
        for n in range(GROUP_SHOWN + 3):
            _reminder(many.id, shop["associate"], book["today_date"], f"Extra call {n}")
        db.session.commit()
        extra_total = GROUP_SHOWN + 3 + 1  # plus the book's own "Call about the ring"
    auth.login("associate")
    page = client.get("/today").get_data(as_text=True)
    assert page.count('id="reminder-') == GROUP_SHOWN + 2  # today's screenful, the overdue one, the soon one
    assert f"Show all {extra_total}" in page and "?all=today" in page
    everything = client.get("/today", query_string={"all": "today"}).get_data(as_text=True)
    assert everything.count('id="reminder-') == extra_total + 2 and "Show all" not in everything


def test_row_links_and_forms_point_at_that_reminder(client, auth, book):
    auth.login("associate")
    page = client.get("/today").get_data(as_text=True)
    rid = book["today"]
    assert one(page, f'form.rem-actions[action="/reminders/{rid}"]')["hx-get"] == f"/reminders/{rid}"
    body = client.get(f"/reminders/{rid}", query_string={"mode": "snooze"},
                      headers={"HX-Request": "true"}).get_data(as_text=True)
    assert body.count(f'hx-post="/reminders/{rid}/snooze"') == 2 and 'name="csrf_token"' in body
    assert f'hx-get="/reminders/{rid}"' in body and ">Cancel<" in body


def test_follow_up_form_opens_on_demand(client, auth, book, app):
    _strict_shop(app)
    auth.login("associate")
    section = client.get(f"/reminders/client/{book['ada_client']}", headers={"HX-Request": "true"})
    assert "Add a follow-up" in section.get_data(as_text=True)
    assert 'name="reason"' not in section.get_data(as_text=True)
    opened = client.get(f"/reminders/client/{book['ada_client']}?add=1", headers={"HX-Request": "true"})
    assert 'name="reason"' in opened.get_data(as_text=True)
    # Without htmx the same link opens a page with the form.
    page = client.get(f"/reminders/client/{book['ada_client']}/follow-up")
    assert page.status_code == 200 and 'name="reason"' in page.get_data(as_text=True)
    assert client.get(f"/reminders/client/{book['bea_client']}/follow-up").status_code in (403, 404)


def test_manager_today_holds_their_list_and_the_shop_queue(client, auth, book):
    auth.login("manager")
    page = client.get("/today").get_data(as_text=True)
    assert "Shop queue" in page and "Queue call" in page
    # Another person's list stays just theirs.
    assert "Queue call" not in client.get(f"/today?who={book['ada_owner']}").get_data(as_text=True)


def test_reassign_shows_the_new_owner(client, auth, book, shop):
    auth.login("manager")
    row = client.post(f"/reminders/{book['queue']}/reassign", data={"owner_id": str(shop["associate2"])},
                      headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Moved to Bea Associate." in row


def test_snooze_says_when_it_passes_the_occasion(client, auth, app, shop):
    from tests.support.reminders import add_date
    with app.app_context():
        today = shop_today()
        anna = add_client("Anna", "Soon", owner_id=shop["associate"])
        tomorrow = today + timedelta(days=1)
        important = add_date(anna, kind="birthday", month=tomorrow.month, day=tomorrow.day)
        reminder = _reminder(anna.id, shop["associate"], today, "Birthday tomorrow", kind="birthday",
                             occurrence=f"d{important.id}@{tomorrow.isoformat()}")
        reminder.important_date_id = important.id
        db.session.commit()
        reminder_id = reminder.id
    auth.login("associate")
    panel = client.get(f"/reminders/{reminder_id}?mode=snooze", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Next week (after the birthday on" in panel and "Tomorrow (after" not in panel


def test_digest_on_without_a_mail_server_says_nothing_is_sent(client, auth, app, shop):
    from clientbook.models import User
    with app.app_context():
        db.session.get(User, shop["associate"]).digest_enabled = True
        db.session.commit()
    auth.login("associate")
    assert "no mail server is set up yet" in client.get("/today").get_data(as_text=True)
    # Turned on from Today (the toggle alone redrawn): the same warning; with a mail server, none.
    turned_on = client.post("/today/digest", data={"digest_enabled": "1"}, headers={"HX-Request": "true"})
    assert "no mail server is set up yet" in turned_on.get_data(as_text=True)
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_FROM="shop@example.test")
    assert "no mail server" not in client.post("/today/digest", data={"digest_enabled": "1"},
                                               headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "no mail server" not in client.get("/today").get_data(as_text=True)


def test_groups_mix_open_and_snoozed_reminders_by_the_day_they_show(app, shop, monkeypatch):
    from clientbook.reminders import today as today_module
    from clientbook.reminders.today import today_list

    with app.app_context():
        today = shop_today()
        anna = add_client("Anna", "Order", owner_id=shop["associate"])
        made = {}
        for name, due, snoozed in (("in 5", 5, None), ("snoozed to 2", -9, 2), ("in 3", 3, None),
                                   ("late 1", -1, None), ("snoozed back 2 ago", -20, -2), ("late 4", -4, None)):
            reminder = _reminder(anna.id, shop["associate"], today + timedelta(days=due), name)
            if snoozed is not None:
                reminder.state, reminder.snoozed_until = "snoozed", today + timedelta(days=snoozed)
            made[name] = reminder.id
        db.session.commit()
        listing = today_list(shop["associate"], today)
        assert [r.reason for r in listing.upcoming] == ["snoozed to 2", "in 3", "in 5"]
        assert [r.reason for r in listing.overdue] == ["late 1", "snoozed back 2 ago", "late 4"]
        assert listing.totals == {"overdue": 3, "today": 0, "upcoming": 3}
        monkeypatch.setattr(today_module, "GROUP_SHOWN", 1)  # cut short: the totals are counted
        listing = today_list(shop["associate"], today)
        assert [r.reason for r in listing.upcoming + listing.overdue] == ["snoozed to 2", "late 1"]
        assert listing.totals == {"overdue": 3, "today": 0, "upcoming": 3}
