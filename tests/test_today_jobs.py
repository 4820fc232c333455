"""Job rows on Today: snooze (same choices as a reminder's), undo, who may, and the row swapped in place."""
from __future__ import annotations

from datetime import timedelta

import pytest

from clientbook.extensions import db
from clientbook.jobs.records import move_job
from clientbook.models import Job
from clientbook.shop import shop_today
from tests.support.clients import HX, make_client
from tests.support.html import one, parse, select
from tests.test_jobs import make_job, stage, strict_shop
from tests.test_jobs_rules import entered_ready


@pytest.fixture
def jobs(app, shop):
    """Ada's overdue repair and her ready one waiting five days; Bea's job due today."""
    with app.app_context():
        today = shop_today()
        iris = make_client("Iris", "Vidal", assigned_to_id=shop["associate"])
        nina = make_client("Nina", "Berg", assigned_to_id=shop["associate2"])
        overdue = make_job(iris, title="Overdue resize", assigned_to_id=shop["associate"],
                           due_on=today - timedelta(days=2))
        waiting = make_job(iris, title="Waiting pearls", assigned_to_id=shop["associate"])
        entered_ready(waiting, today - timedelta(days=5))
        beas = make_job(nina, title="Bea's clasp", assigned_to_id=shop["associate2"], due_on=today)
        return {"today": today, "overdue": overdue, "waiting": waiting, "beas": beas, "iris": iris}


def today_page(client) -> str:
    return client.get("/today").get_data(as_text=True)


def snoozed_until(app, job_id):
    with app.app_context():
        return db.session.get(Job, job_id).snoozed_until


@pytest.mark.parametrize("data, days", [
    ({"choice": "tomorrow"}, 1),
    ({"choice": "next_week"}, 7),
    ({"choice": "date", "until": "PICKED"}, 3),
])
def test_snooze_takes_the_row_off_today_until_its_day(client, auth, app, jobs, data, days):
    auth.login("associate")
    assert "Overdue resize" in today_page(client)
    until = jobs["today"] + timedelta(days=days)
    data = {key: until.isoformat() if value == "PICKED" else value for key, value in data.items()}
    response = client.post(f"/jobs/{jobs['overdue']}/today/snooze", data=data, headers=HX)
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    row = select(response.get_data(as_text=True), "li")[0]
    assert row["id"] == f"job-today-{jobs['overdue']}"
    assert f"Snoozed until {until.strftime('%a %-d %b')}" in row.text
    undo = one(row, f'form[hx-post="/jobs/{jobs["overdue"]}/today/unsnooze"]')
    assert undo["hx-target"] == f"#job-today-{jobs['overdue']}"
    assert snoozed_until(app, jobs["overdue"]) == until
    page = today_page(client)
    assert "Overdue resize" not in page and "Waiting pearls" in page
    # On its day it is back, as it was.
    with app.app_context():
        from clientbook.jobs.queries import today_jobs

        back = today_jobs(jobs_owner(app, jobs["overdue"]), until)
        assert [row.job.id for row in back.due] == [jobs["overdue"]]


def jobs_owner(app, job_id):
    with app.app_context():
        return db.session.get(Job, job_id).assigned_to_id


def test_snooze_choices_open_in_place_like_a_reminders(client, auth, jobs):
    auth.login("associate")
    row = one(today_page(client), f"li#job-today-{jobs['waiting']}")
    opener = one(row, f'a[hx-get="/jobs/{jobs["waiting"]}/today?mode=snooze"]')
    assert opener.text == "Snooze" and opener["href"] == opener["hx-get"]
    assert opener["hx-target"] == f"#job-today-{jobs['waiting']}"
    assert row.select("a", text="Remind")
    assert row.select('button[aria-label="Move Waiting pearls to Collected"]')
    panel = client.get(f"/jobs/{jobs['waiting']}/today?mode=snooze", headers=HX)
    assert panel.status_code == 200
    soup = parse(panel.get_data(as_text=True))
    choices = [button.text for button in soup.select('button[name="choice"]')]
    assert choices == ["Tomorrow", "Next week"]  # the same two as a reminder's, then a picked day
    assert soup.one('input[type="date"][name="until"]')["min"] == (
        jobs["today"] + timedelta(days=1)).isoformat()
    for form in soup.select('form[method="post"]'):
        assert form["hx-post"] == f"/jobs/{jobs['waiting']}/today/snooze"
        assert form.select('input[name="csrf_token"]')
    assert soup.select("a", text="Cancel")[0]["hx-get"] == f"/jobs/{jobs['waiting']}/today"
    # Cancel brings the plain row back.
    cancel = client.get(f"/jobs/{jobs['waiting']}/today", headers=HX).get_data(as_text=True)
    assert "Bring it back" not in cancel and "Waiting pearls" in cancel
    assert client.get(f"/jobs/{jobs['waiting']}/today?mode=nonsense", headers=HX).status_code == 404


def test_a_job_due_today_says_when_a_snooze_passes_its_due_day(client, auth, jobs):
    auth.login("associate2")
    panel = client.get(f"/jobs/{jobs['beas']}/today?mode=snooze", headers=HX).get_data(as_text=True)
    assert "Tomorrow (after the due day)" in panel and "Next week (after the due day on" in panel
    auth.login("associate")
    overdue = client.get(f"/jobs/{jobs['overdue']}/today?mode=snooze", headers=HX).get_data(as_text=True)
    assert "(after the" not in overdue  # long past: nothing to warn about


@pytest.mark.parametrize("data", [{"choice": ""}, {"choice": "date", "until": "not-a-day"},
                                  {"choice": "date", "until": "TODAY"}, {"choice": "forever"}])
def test_bad_snooze_answers_422_next_to_the_row_and_saves_nothing(client, auth, app, jobs, data):
    auth.login("associate")
    data = {key: jobs["today"].isoformat() if value == "TODAY" else value for key, value in data.items()}
    response = client.post(f"/jobs/{jobs['overdue']}/today/snooze", data=data, headers=HX)
    assert response.status_code == 422
    row = parse(response.get_data(as_text=True))
    assert row.select('[role="alert"]')[0].text == "Pick a day after today."
    assert row.select("legend")[0].text == "Bring it back"  # the choices stay open
    assert snoozed_until(app, jobs["overdue"]) is None
    plain = client.post(f"/jobs/{jobs['overdue']}/today/snooze", data=data)
    assert plain.status_code == 422 and "Pick a day after today." in plain.get_data(as_text=True)


def test_plain_forms_snooze_and_undo_then_go_back(client, auth, app, jobs):
    auth.login("associate")
    response = client.post(f"/jobs/{jobs['overdue']}/today/snooze", data={"choice": "tomorrow", "next": "/today"})
    assert response.status_code == 303 and response.headers["Location"] == "/today"
    assert "Overdue resize" not in today_page(client)
    response = client.post(f"/jobs/{jobs['overdue']}/today/unsnooze", data={"next": "https://elsewhere.example/"})
    assert response.status_code == 303 and response.headers["Location"] == "/today"  # never off-site
    assert snoozed_until(app, jobs["overdue"]) is None and "Overdue resize" in today_page(client)
    page = client.get(f"/jobs/{jobs['overdue']}/today?mode=snooze")  # without htmx: a page with the choices
    assert page.status_code == 200 and "Bring it back" in page.get_data(as_text=True)


def test_undo_with_htmx_puts_the_row_back(client, auth, app, jobs):
    auth.login("associate")
    client.post(f"/jobs/{jobs['waiting']}/today/snooze", data={"choice": "next_week"}, headers=HX)
    row = client.post(f"/jobs/{jobs['waiting']}/today/unsnooze", headers=HX).get_data(as_text=True)
    assert "Snoozed" not in row and select(row, "a", text="Snooze")
    assert "Not collected" in row and "Waiting pearls" in today_page(client)


def test_moving_a_snoozed_job_brings_it_back(client, auth, app, jobs):
    auth.login("associate")
    client.post(f"/jobs/{jobs['overdue']}/today/snooze", data={"choice": "next_week"})
    with app.app_context():
        move_job(db.session.get(Job, jobs["overdue"]), stage("Repair", "At the workshop"), None)
        db.session.commit()
    assert snoozed_until(app, jobs["overdue"]) is None and "Overdue resize" in today_page(client)


@pytest.mark.parametrize("actor, target, status", [
    ("associate2", "overdue", 404),  # another associate's job: not theirs to snooze
    ("associate", "beas", 404),
    ("manager", "overdue", 200),  # managers work every list
    ("owner", "beas", 200),
])
def test_who_may_snooze_which_job(client, auth, app, jobs, actor, target, status):
    auth.login(actor)
    assert client.get(f"/jobs/{jobs[target]}/today?mode=snooze", headers=HX).status_code == status
    assert client.post(f"/jobs/{jobs[target]}/today/snooze", data={"choice": "tomorrow"},
                       headers=HX).status_code == status
    assert (snoozed_until(app, jobs[target]) is None) == (status == 404)
    assert client.post(f"/jobs/{jobs[target]}/today/unsnooze", headers=HX).status_code == status


def test_a_job_on_a_client_the_associate_may_not_open_is_not_found(client, auth, app, shop, jobs):
    with app.app_context():
        strict_shop()
        # Assigned to Ada, but on Bea's client: in a strict shop Ada may not open the card.
        job = db.session.get(Job, jobs["beas"])
        job.assigned_to_id = shop["associate"]
        db.session.commit()
    auth.login("associate")
    assert client.post(f"/jobs/{jobs['beas']}/today/snooze", data={"choice": "tomorrow"}).status_code == 404
    assert snoozed_until(app, jobs["beas"]) is None


def test_snooze_needs_sign_in_and_a_csrf_token(client, auth, app, jobs):
    assert client.post(f"/jobs/{jobs['overdue']}/today/snooze", data={"choice": "tomorrow"}).status_code in (302, 401)
    assert client.get(f"/jobs/{jobs['overdue']}/today").status_code in (302, 401)
    auth.login("associate")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post(f"/jobs/{jobs['overdue']}/today/snooze", data={"choice": "tomorrow"}).status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert snoozed_until(app, jobs["overdue"]) is None


def test_a_long_due_list_shows_a_screenful_and_counts_them_all(client, auth, app, jobs, shop):
    from clientbook.jobs.queries import TODAY_SHOWN, today_jobs

    with app.app_context():
        assert today_jobs(shop["associate"], jobs["today"]).due_total == 1
        for n in range(TODAY_SHOWN + 2):
            make_job(jobs["iris"], title=f"Due {n}", assigned_to_id=shop["associate"],
                     due_on=jobs["today"] - timedelta(days=n % 3))
        listed = today_jobs(shop["associate"], jobs["today"])
        assert len(listed.due) == TODAY_SHOWN and listed.due_total == TODAY_SHOWN + 3
        assert [row.job.due_on for row in listed.due] == sorted(row.job.due_on for row in listed.due)
        assert today_jobs(shop["associate2"], jobs["today"]).due_total == 1
    auth.login("associate")
    page = today_page(client)
    assert f"All {TODAY_SHOWN + 3} due jobs" in page
