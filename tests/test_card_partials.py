"""The card as section partials over one data object: each section redraws alone, and what the card
costs in queries does not grow with what the client has (no query per purchase, job, message or wish)."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from clientbook.clients.card_views import SECTIONS
from clientbook.extensions import db
from clientbook.jobs.records import create_job, ensure_job_types
from clientbook.models import (
    Client, ClientTag, ImportantDate, JobType, Message, Note, Preference, PreferenceKey, Purchase, PurchaseItem,
    WishlistItem,
)
from tests.support.clients import HX, make_client


def fill(client_id: int, n: int, staff: list[int]) -> None:
    """n of everything the card shows, by several people (so nothing is served from one loaded user)."""
    ensure_job_types()
    client = db.session.get(Client, client_id)
    kinds = db.session.scalars(sa.select(JobType).order_by(JobType.position)).all()
    key_id = db.session.scalar(sa.select(PreferenceKey.id).where(PreferenceKey.name == "Ring size"))
    if key_id is None:
        key = PreferenceKey(name="Ring size", position=1, active=True)
        db.session.add(key)
        db.session.flush()
        key_id = key.id
    db.session.add(Preference(client_id=client_id, key_id=key_id, value="52"))
    for i in range(n):
        who = staff[i % len(staff)]
        purchase = Purchase(client_id=client_id, purchased_on=date(2026, 1, 1) + timedelta(days=i),
                            associate_id=who, total_cents=1000 + i)
        purchase.items = [PurchaseItem(description=f"Ring {i}", amount_cents=1000 + i),
                          PurchaseItem(description=f"Box {i}", amount_cents=0)]
        db.session.add(purchase)
        db.session.add(Note(client_id=client_id, author_id=who, body=f"Note {i}"))
        db.session.add(WishlistItem(client_id=client_id, description=f"Wish {i}", added_by_id=who))
        db.session.add(ImportantDate(client_id=client_id, kind="custom", label=f"Day {i}", month=1 + i % 12, day=1))
        db.session.add(ClientTag(client_id=client_id, tag=f"tag{i}"))
        db.session.add(Message(client_id=client_id, user_id=who, channel="handoff_sms", state="handed_off",
                               body=f"Hello {i}"))
        create_job(client, kinds[i % 2], title=f"Job {i}", user=None, assigned_to_id=who)
    db.session.commit()


def statements_for(client, app, path: str) -> int:
    seen = []
    with app.app_context():
        engine = db.engine
    listener = lambda *args: seen.append(args[2])  # noqa: E731
    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        assert client.get(path).status_code == 200
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
    return len(seen)


@pytest.fixture
def two_clients(app, shop):
    with app.app_context():
        staff = [shop["owner"], shop["manager"], shop["associate"], shop["associate2"]]
        small, big = make_client("Small", "Book"), make_client("Big", "Book")
        fill(small, 1, staff)
        fill(big, 12, staff)
        return small, big


@pytest.mark.parametrize("who", ["manager", "associate"])
def test_the_card_costs_the_same_queries_for_one_of_everything_or_twelve(client, auth, app, two_clients, who):
    small, big = two_clients
    auth.login(who)
    client.get(f"/clients/{small}")  # first request of a session reads what later ones keep
    few, many = statements_for(client, app, f"/clients/{small}"), statements_for(client, app, f"/clients/{big}")
    assert few == many
    page = client.get(f"/clients/{big}").get_data(as_text=True)
    assert "Job 11" in page and "Wish 11" in page and "Day 11" in page and "#tag11" in page


@pytest.mark.parametrize("section", SECTIONS)
def test_each_section_redraws_on_its_own(client, auth, app, two_clients, section):
    _, big = two_clients
    auth.login("manager")
    response = client.get(f"/clients/{big}/sections/{section}", headers=HX)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'id="{"quick-panel" if section == "panel" else section}"' in html
    assert "<html" not in html and 'id="client-card"' not in html


def test_a_whole_card_redraw_after_a_note_shows_it(client, auth, app, two_clients):
    _, big = two_clients
    auth.login("associate")
    response = client.post(f"/clients/{big}/notes", data={"note-body": "Asked about pearls"}, headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="client-card"' in html and 'data-focus="timeline"' in html
    assert "Asked about pearls" in html and "<html" not in html


def test_card_jobs_are_open_ones_soonest_due_then_the_last_three_closed(app, shop):
    from datetime import datetime

    from clientbook.jobs.queries import card_jobs
    from clientbook.models import Job

    with app.app_context():
        ensure_job_types()
        client_id = make_client("Jo", "Jobs")
        client_row = db.session.get(Client, client_id)
        repair = db.session.scalar(sa.select(JobType).order_by(JobType.position))
        made = {}
        for title, due in (("Later", date(2026, 12, 20)), ("Undated", None), ("Sooner", date(2026, 12, 10))):
            made[title] = create_job(client_row, repair, title=title, user=None, due_on=due)
        for n in range(4):
            job = create_job(client_row, repair, title=f"Closed {n}", user=None, due_on=date(2026, 1, 1 + n))
            job.closed_at = datetime(2026, 11, 1 + n)
        db.session.commit()
        jobs = card_jobs(client_id)
        assert [j.title for j in jobs.open] == ["Sooner", "Later", "Undated"]
        assert [j.title for j in jobs.recently_closed] == ["Closed 3", "Closed 2", "Closed 1"]
        assert all(j.stage.name and j.job_type.name for j in jobs.open + jobs.recently_closed)
        assert isinstance(jobs.open[0], Job)


def test_edit_forms_start_from_what_the_card_shows(client, auth, app, two_clients):
    _, big = two_clients
    auth.login("associate")
    tags = client.get(f"/clients/{big}/tags/edit", headers=HX).get_data(as_text=True)
    assert 'value="tag0, tag1, tag10, tag11, tag2,' in tags
    prefs = client.get(f"/clients/{big}/preferences/edit", headers=HX).get_data(as_text=True)
    assert 'value="52"' in prefs and "Ring size" in prefs
