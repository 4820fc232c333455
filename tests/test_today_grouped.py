"""Today: one row per client with the reasons inside, Done/Snooze for all of them, set-based queries,
compact rows (primary action in view, the rest in one menu), and the empty state only when nothing is listed."""
from datetime import time, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from clientbook.appointments import booking
from clientbook.extensions import db
from clientbook.models import Appointment, Reminder
from clientbook.shop import shop_today, shop_zone
from tests.support.html import one
from tests.support.reminders import add_client


def _reminder(client_id, owner_id, due, reason):
    reminder = Reminder(rule_id=None, client_id=client_id, occurrence=f"g{client_id}-{due}-{reason}", kind="manual",
                        reason=reason, due_date=due, owner_id=owner_id)
    db.session.add(reminder)
    db.session.flush()
    return reminder.id


@pytest.fixture
def two_for_marc(app, shop):
    """Marc has two reminders due today, Nina one."""
    with app.app_context():
        today = shop_today()
        marc = add_client("Marc", "Dupont", owner_id=shop["associate"])
        nina = add_client("Nina", "Berg", owner_id=shop["associate"])
        ids = [_reminder(marc.id, shop["associate"], today, "Ring is resized"),
               _reminder(marc.id, shop["associate"], today, "Thank for the visit"),
               _reminder(nina.id, shop["associate"], today, "Call about the watch")]
        db.session.commit()
        return {"marc": marc.id, "ids": ids, "today": today}


def test_one_row_per_client_with_each_reason_inside(client, auth, two_for_marc):
    auth.login("associate")
    page = client.get("/today").get_data(as_text=True)
    assert page.count(">Marc Dupont</a>") == 1 and page.count(">Nina Berg</a>") == 1
    group = page[page.index(f'id="client-today-{two_for_marc["marc"]}"'):page.index(">Nina Berg</a>")]
    assert "Ring is resized" in group and "Thank for the visit" in group
    # each reminder keeps its own Done / Snooze, and the row offers them for both at once
    for rid in two_for_marc["ids"][:2]:
        row = one(page, f'#client-today-{two_for_marc["marc"]}')
        assert one(row, f"#reminder-{rid}").select(f'form.rem-actions[action="/reminders/{rid}"]')
    assert ">All 2<" in group and group.count('name="reminder_id"') == 2 * 2


def test_done_and_snooze_for_all_of_a_clients_reminders(client, auth, app, two_for_marc):
    auth.login("associate")
    marc_ids = two_for_marc["ids"][:2]
    response = client.post("/reminders/all/done", data={"reminder_id": marc_ids, "outcome": "called", "next": "/today"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/today")
    with app.app_context():
        states = dict(db.session.execute(sa.select(Reminder.id, Reminder.state)).all())
    assert [states[rid] for rid in two_for_marc["ids"]] == ["done", "done", "open"]
    page = client.get("/today").get_data(as_text=True)
    assert "Marc Dupont" not in page and "Nina Berg" in page

    response = client.post("/reminders/all/snooze", data={"reminder_id": [two_for_marc["ids"][2]], "choice": "tomorrow"})
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(Reminder, two_for_marc["ids"][2]).snoozed_until == two_for_marc["today"] + timedelta(days=1)


def test_all_or_nothing_and_only_ones_own(client, auth, app, shop, two_for_marc):
    auth.login("associate")
    # no outcome: nothing saved, a clear message
    response = client.post("/reminders/all/done", data={"reminder_id": two_for_marc["ids"][:2]})
    assert response.status_code == 422 and "Choose how you reached out" in response.get_data(as_text=True)
    with app.app_context():
        bea_client = add_client("Bea", "Client", owner_id=shop["associate2"])
        other = _reminder(bea_client.id, shop["associate2"], two_for_marc["today"], "Not yours")
        db.session.commit()
    response = client.post("/reminders/all/done", data={"reminder_id": [two_for_marc["ids"][0], other], "outcome": "called"})
    assert response.status_code == 404
    with app.app_context():
        assert {state for (state,) in db.session.execute(sa.select(Reminder.state))} == {"open"}
    assert client.post("/reminders/all/delete", data={"reminder_id": [other]}).status_code == 404


def test_grouping_adds_no_query_per_row(client, auth, app, shop):
    """The page issues the same number of statements for 2 clients as for 5 with several reminders each."""
    def statements():
        seen = []
        record = lambda *args, **kwargs: seen.append(1)  # noqa: E731
        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", record)
        try:
            assert client.get("/today").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", record)
        return len(seen)

    def add_clients(count, start):
        with app.app_context():
            today = shop_today()
            for n in range(start, start + count):
                person = add_client("Client", f"Number{n}", owner_id=shop["associate"])
                for reason in ("First", "Second", "Third"):
                    _reminder(person.id, shop["associate"], today - timedelta(days=n % 2), f"{reason} {n}")
            db.session.commit()

    auth.login("associate")
    add_clients(2, 0)
    few = statements()
    add_clients(3, 2)  # still within one screenful per group (no "Show all" count)
    assert statements() == few


def test_phone_row_keeps_the_primary_action_out_and_the_rest_in_one_menu(client, auth, two_for_marc):
    auth.login("associate")
    page = client.get("/today").get_data(as_text=True)
    nina = one(page, f'#reminder-{two_for_marc["ids"][2]}')
    menu = one(nina, "details.rem-more")
    in_menu = [menu, *menu.descendants()]
    outside = [element for element in nina.descendants() if element not in in_menu]
    assert menu.select('[aria-label="More actions for Nina Berg"]')
    for action in ("done", "snooze", "dismiss"):
        assert any(element.get("value") == action for element in in_menu)
        assert not any(element.get("value") == action for element in outside)
    assert any(element.tag == "a" and element.classes >= {"btn", "btn-primary"} and element.get("href")
               and element.text in ("Message", "Open") for element in outside)


def test_nothing_to_follow_up_only_when_nothing_is_listed(client, auth, app, shop):
    auth.login("associate")
    assert "Nothing to follow up" in client.get("/today").get_data(as_text=True)
    with app.app_context():
        marc = add_client("Marc", "Dupont", owner_id=shop["associate"])
        zone = shop_zone()
        starts = booking.to_utc(shop_today(), time(23, 0), zone)
        db.session.add(Appointment(client_id=marc.id, associate_id=shop["associate"], starts_at=starts,
                                   duration_minutes=30, purpose="fitting"))
        db.session.commit()
    page = client.get("/today").get_data(as_text=True)
    assert "Appointments today" in page and "Nothing to follow up" not in page
