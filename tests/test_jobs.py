"""Jobs: stage rules, taking one in from the card, the job page, the board, permissions, purchases, wishes."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from clientbook.extensions import db
from clientbook.jobs.records import (
    JobError, create_job, ensure_job_types, job_to_purchase, move_job, next_stage, wish_to_opportunity,
)
from clientbook.models import Job, JobType, Purchase, Stage, StageChange, User, WishlistItem
from tests.support.clients import HX, make_client


def job_type(name: str) -> JobType:
    ensure_job_types()
    return db.session.scalar(sa.select(JobType).where(JobType.name == name))


def stage(type_name: str, stage_name: str) -> Stage:
    return next(s for s in job_type(type_name).stages if s.name == stage_name)


def make_job(client_id: int, type_name: str = "Repair", user_id: int | None = None, **fields) -> int:
    from clientbook.models import Client

    user = db.session.get(User, user_id) if user_id else None
    job = create_job(db.session.get(Client, client_id), job_type(type_name), title=fields.pop("title", "Resize ring"),
                     user=user, **fields)
    db.session.commit()
    return job.id


@pytest.fixture
def ada_client(app, shop):
    with app.app_context():
        return make_client("Éloïse", "Marchand", phone="+33612345678", assigned_to_id=shop["associate"])


@pytest.fixture
def bea_client(app, shop):
    with app.app_context():
        return make_client("Bruno", "Keller", assigned_to_id=shop["associate2"])


def strict_shop():
    from clientbook.models import Shop

    db.session.query(Shop).one().associates_see_all_clients = False
    db.session.commit()


# ---- the model ---------------------------------------------------------------------------

def test_seeded_types_have_their_stages_in_order(app):
    with app.app_context():
        ensure_job_types()
        ensure_job_types()  # a second call adds nothing
        types = {t.name: t for t in db.session.scalars(sa.select(JobType))}
        assert set(types) == {"Repair", "Custom order", "Sales opportunity"}
        assert [(s.name, s.outcome) for s in types["Repair"].stages] == [
            ("Received", None), ("At the workshop", None), ("Ready to collect", None), ("Collected", "collected")]
        assert [s.name for s in types["Custom order"].stages] == [
            "Quote", "Deposit paid", "In making", "Ready", "Delivered", "Cancelled"]
        assert [(s.name, s.outcome) for s in types["Sales opportunity"].stages][-2:] == [("Won", "won"), ("Lost", "lost")]
        assert types["Sales opportunity"].is_opportunity and not types["Repair"].is_opportunity


def test_closing_stage_closes_and_reopening_is_logged(app, shop, ada_client):
    with app.app_context():
        job_id = make_job(ada_client, user_id=shop["associate"])
        job = db.session.get(Job, job_id)
        assert job.stage.name == "Received" and job.is_open and job.ticket.startswith("R-")
        assert next_stage(job).name == "At the workshop"
        user = db.session.get(User, shop["associate"])
        move_job(job, stage("Repair", "Collected"), user)
        db.session.commit()
        assert job.closed_at is not None and job.outcome == "collected" and not job.is_open
        change = move_job(job, stage("Repair", "Ready to collect"), user)
        db.session.commit()
        assert change.reopened and job.closed_at is None and job.outcome is None
        assert move_job(job, stage("Repair", "Ready to collect"), user) is None  # no move, nothing logged
        history = db.session.scalars(sa.select(StageChange).where(StageChange.job_id == job_id)
                                     .order_by(StageChange.id)).all()
        assert [(h.to_stage.name, h.reopened, h.changed_by_id) for h in history] == [
            ("Received", False, shop["associate"]), ("Collected", False, shop["associate"]),
            ("Ready to collect", True, shop["associate"])]
        with pytest.raises(JobError):
            move_job(job, stage("Sales opportunity", "Won"), user)


def test_tickets_are_short_and_unique(app, shop, ada_client):
    with app.app_context():
        tickets = {db.session.get(Job, make_job(ada_client)).ticket for _ in range(30)}
        assert len(tickets) == 30
        assert all(len(t) <= 8 and t[:2] == "R-" for t in tickets)


def test_only_finished_jobs_become_purchases_once(app, shop, ada_client):
    with app.app_context():
        job = db.session.get(Job, make_job(ada_client, "Custom order", value_cents=180000, deposit_cents=50000))
        with pytest.raises(JobError):
            job_to_purchase(job, purchased_on=date(2026, 5, 1), associate_id=None, description="Ring", amount_cents=1)
        move_job(job, stage("Custom order", "Delivered"), None)
        purchase = job_to_purchase(job, purchased_on=date(2026, 5, 1), associate_id=shop["associate"],
                                   description=job.title, amount_cents=180000)
        db.session.commit()
        assert purchase.total_cents == 180000 and job.purchase_id == purchase.id
        assert purchase.items[0].category == "Custom order" and purchase.items[0].sku == job.ticket
        with pytest.raises(JobError):
            job_to_purchase(job, purchased_on=date(2026, 5, 1), associate_id=None, description="x", amount_cents=1)


# ---- taking a job in from the card ---------------------------------------------------------

def test_card_shows_new_job_beside_add_purchase_and_open_jobs_first(client, auth, app, shop, ada_client):
    with app.app_context():
        closed = db.session.get(Job, make_job(ada_client, title="Old chain"))
        move_job(closed, stage("Repair", "Collected"), None)
        db.session.commit()
        make_job(ada_client, title="Resize ring to 6½", due_on=date.today() + timedelta(days=3))
    auth.login("associate")
    page = client.get(f"/clients/{ada_client}").get_data(as_text=True)
    quick = page[page.index('class="cl-quick"'):]
    assert quick.index("Add purchase") < quick.index("New job")
    assert page.index("Resize ring to 6½") < page.index("Old chain")
    assert "1 open" in page


def test_new_job_form_takes_in_a_repair(client, auth, app, shop, ada_client):
    auth.login("associate")
    with app.app_context():
        repair = job_type("Repair").id
        db.session.commit()
    form = client.get(f"/clients/{ada_client}/jobs/new").get_data(as_text=True)
    assert 'accept="image/*"' in form and "capture" in form and 'enctype="multipart/form-data"' in form
    response = client.post(f"/clients/{ada_client}/jobs/new", data={
        "job_type_id": repair, "title": "Resize ring to 6½", "due_on": "2026-12-20", "value": "80",
        "deposit": "20", "assigned_to_id": shop["associate"], "description": "Yellow gold band"})
    assert response.status_code == 303
    with app.app_context():
        job = db.session.scalar(sa.select(Job))
        assert (job.title, job.due_on, job.value_cents, job.deposit_cents, job.balance_due_cents) == (
            "Resize ring to 6½", date(2026, 12, 20), 8000, 2000, 6000)
        assert response.headers["Location"].endswith(f"/jobs/{job.id}")


@pytest.mark.parametrize("data, field, message", [
    ({"title": ""}, "title", "Say what the job is"),
    ({"value": "lots"}, "value", "is not an amount"),
    ({"value": "10", "deposit": "20"}, "deposit", "be more than the value"),
])
def test_new_job_bad_input_is_shown_and_nothing_saved(client, auth, app, shop, ada_client, data, field, message):
    auth.login("associate")
    with app.app_context():
        repair = job_type("Repair").id
        db.session.commit()
    response = client.post(f"/clients/{ada_client}/jobs/new",
                           data={"job_type_id": repair, "title": "Fix clasp", "assigned_to_id": 0, **data})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0


def test_job_page_shows_stages_as_buttons_and_moving_logs_on_timeline(client, auth, app, shop, ada_client):
    with app.app_context():
        job_id = make_job(ada_client, user_id=shop["associate"])
        ready = stage("Repair", "Ready to collect").id
    auth.login("associate")
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert page.count('class="job-stage-btn') == 4 and 'aria-current="step"' in page
    assert client.post(f"/jobs/{job_id}/stage", data={"stage_id": ready}).status_code == 303
    card = client.get(f"/clients/{ada_client}").get_data(as_text=True)
    assert "moved to <strong>Ready to collect</strong>" in card
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "it's ready" in page  # the one-tap message offer


def test_board_moves_a_job_in_one_tap_and_totals_opportunities(client, auth, app, shop, ada_client):
    with app.app_context():
        first = make_job(ada_client, "Sales opportunity", title="Omega Seamaster", value_cents=520000,
                         assigned_to_id=shop["associate"])
        make_job(ada_client, "Sales opportunity", title="Pearl strand", value_cents=130000,
                 assigned_to_id=shop["associate"])
        opportunity = job_type("Sales opportunity").id
        won = stage("Sales opportunity", "Won").id
    auth.login("associate")
    board = client.get(f"/jobs?type={opportunity}").get_data(as_text=True)
    assert "6\u202f500,00\u00a0€" in board and "Omega Seamaster" in board
    here = f"/jobs?type={opportunity}&scope=mine"
    response = client.post(f"/jobs/{first}/stage", data={"stage_id": won, "next": here}, headers=HX,
                           follow_redirects=True)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert 'id="board"' in body and "<html" not in body  # the board swaps in place
    with app.app_context():
        assert db.session.get(Job, first).outcome == "won"


def test_board_filters_mine_and_overdue(client, auth, app, shop, ada_client, bea_client):
    with app.app_context():
        from clientbook.models import Shop

        db.session.query(Shop).one().associates_see_all_clients = True
        db.session.commit()
        make_job(ada_client, title="Mine overdue", assigned_to_id=shop["associate"], due_on=date.today() - timedelta(days=5))
        make_job(bea_client, title="Hers", assigned_to_id=shop["associate2"], due_on=date.today() + timedelta(days=40))
    auth.login("associate")
    mine = client.get("/jobs?scope=mine").get_data(as_text=True)
    assert "Mine overdue" in mine and "Hers" not in mine
    everyone = client.get("/jobs?scope=all").get_data(as_text=True)
    assert "Mine overdue" in everyone and "Hers" in everyone
    overdue = client.get("/jobs?scope=all&due=overdue").get_data(as_text=True)
    assert "Mine overdue" in overdue and "Hers" not in overdue


# ---- permissions ---------------------------------------------------------------------------

def test_associate_cannot_reach_jobs_of_clients_they_may_not_see(client, auth, app, shop, ada_client, bea_client):
    with app.app_context():
        strict_shop()
        theirs = make_job(bea_client, title="Bruno's watch", assigned_to_id=shop["associate2"])
        workshop = stage("Repair", "At the workshop").id
    auth.login("associate")
    assert client.get(f"/jobs/{theirs}").status_code == 404
    assert client.get(f"/jobs/{theirs}/ticket").status_code == 404
    assert client.post(f"/jobs/{theirs}/stage", data={"stage_id": workshop}).status_code == 404
    assert client.get(f"/clients/{bea_client}/jobs/new").status_code == 404
    assert client.get(f"/jobs/{theirs}/purchase").status_code == 404
    assert client.get("/jobs/999999").status_code == 404  # the same answer: ids can't be probed
    assert "Bruno's watch" not in client.get("/jobs?scope=all").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Job, theirs).stage.name == "Received"


def test_settings_jobs_is_for_managers(client, auth, app, shop):
    auth.login("associate")
    assert client.get("/settings/jobs").status_code == 403
    assert client.post("/settings/jobs", data={"type-name": "Alterations", "type-ticket_prefix": "A"}).status_code == 403
    auth.logout()
    auth.login("manager")
    assert "Ready to collect" in client.get("/settings/jobs").get_data(as_text=True)
    assert client.post("/settings/jobs", data={"type-name": "Alterations", "type-ticket_prefix": "A"}).status_code == 303
    with app.app_context():
        alterations = db.session.scalar(sa.select(JobType).where(JobType.name == "Alterations"))
        assert alterations.ticket_prefix == "A"
        type_id = alterations.id
    assert client.post(f"/settings/jobs/{type_id}/stages", data={"stage-name": "Pinned", "stage-outcome": ""}).status_code == 303
    assert client.post(f"/settings/jobs/{type_id}/stages", data={"stage-name": "Done", "stage-outcome": "collected"}).status_code == 303
    assert client.post(f"/settings/jobs/{type_id}/stages", data={"stage-name": "pinned"}).status_code == 422
    with app.app_context():
        stages = db.session.get(JobType, type_id).stages
        assert [(s.name, s.closing) for s in stages] == [("Pinned", False), ("Done", True)]
        done_id = stages[1].id
    client.post(f"/settings/jobs/stages/{done_id}/move", data={"direction": "up"})
    with app.app_context():
        assert [s.name for s in db.session.get(JobType, type_id).stages] == ["Done", "Pinned"]


def test_a_stage_with_open_jobs_cannot_be_hidden(client, auth, app, shop, ada_client):
    with app.app_context():
        make_job(ada_client)
        received = stage("Repair", "Received").id
    auth.login("manager")
    client.post(f"/settings/jobs/stages/{received}/active", data={"active": "0"})
    with app.app_context():
        assert db.session.get(Stage, received).active


# ---- job -> purchase, wish -> opportunity ---------------------------------------------------

def test_won_opportunity_becomes_a_purchase_on_the_card(client, auth, app, shop, ada_client):
    with app.app_context():
        job_id = make_job(ada_client, "Sales opportunity", title="Diamond studs", value_cents=240000,
                          assigned_to_id=shop["associate"])
        won = stage("Sales opportunity", "Won").id
    auth.login("associate")
    client.post(f"/jobs/{job_id}/stage", data={"stage_id": won})
    form = client.get(f"/jobs/{job_id}/purchase").get_data(as_text=True)
    assert 'value="Diamond studs"' in form and 'value="2400,00"' in form
    response = client.post(f"/jobs/{job_id}/purchase", data={
        "description": "Diamond studs", "amount": "2400.00", "purchased_on": "2026-11-30"})
    assert response.status_code == 303
    with app.app_context():
        purchase = db.session.scalar(sa.select(Purchase))
        assert (purchase.client_id, purchase.total_cents, purchase.associate_id) == (ada_client, 240000, shop["associate"])
        assert db.session.get(Job, job_id).purchase_id == purchase.id
    assert client.post(f"/jobs/{job_id}/purchase", data={
        "description": "Diamond studs", "amount": "2400.00", "purchased_on": "2026-11-30"}).status_code == 303
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Purchase)) == 1


def test_wish_becomes_an_opportunity_in_one_tap(client, auth, app, shop, ada_client):
    with app.app_context():
        wish = WishlistItem(client_id=ada_client, description="Cartier Love bracelet", note="size 17")
        db.session.add(wish)
        db.session.commit()
        wish_id = wish.id
    auth.login("associate")
    card = client.get(f"/clients/{ada_client}").get_data(as_text=True)
    assert f"/clients/{ada_client}/wishlist/{wish_id}/opportunity" in card
    response = client.post(f"/clients/{ada_client}/wishlist/{wish_id}/opportunity")
    assert response.status_code == 303
    again = client.post(f"/clients/{ada_client}/wishlist/{wish_id}/opportunity")
    assert again.headers["Location"] == response.headers["Location"]  # a second tap opens the same job
    with app.app_context():
        job = db.session.scalar(sa.select(Job))
        assert (job.title, job.job_type.name, job.stage.name, job.assigned_to_id, job.wishlist_item_id) == (
            "Cartier Love bracelet", "Sales opportunity", "Interested", shop["associate"], wish_id)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 1


def test_wish_of_another_client_is_not_found(client, auth, app, shop, ada_client, bea_client):
    with app.app_context():
        wish = WishlistItem(client_id=bea_client, description="Watch")
        db.session.add(wish)
        db.session.commit()
        wish_id = wish.id
    auth.login("manager")
    assert client.post(f"/clients/{ada_client}/wishlist/{wish_id}/opportunity").status_code == 404


def test_ticket_prints_with_a_qr_code_to_the_job(client, auth, app, shop, ada_client):
    with app.app_context():
        job_id = make_job(ada_client, title="Restring pearls", deposit_cents=1500, due_on=date(2026, 12, 24))
        ticket = db.session.get(Job, job_id).ticket
    auth.login("associate")
    page = client.get(f"/jobs/{job_id}/ticket").get_data(as_text=True)
    assert ticket in page and "Maison Perle" in page and "Éloïse Marchand" in page and "24 Dec 2026" in page
    assert "15,00\u00a0€" in page and 'src="data:image/svg+xml' in page and "@media print" not in page
    assert page.count('class="ticket"') == 1 and page.count('class="tag"') == 1


def test_merging_duplicates_moves_their_jobs_and_photos(app, shop, ada_client, bea_client):
    from clientbook.clients.merge import merge_clients
    from clientbook.models import Photo

    with app.app_context():
        job_id = make_job(bea_client, title="Watch strap")
        db.session.add(Photo(client_id=bea_client, job_id=job_id, sha256="a" * 64, width=1, height=1, size_bytes=1))
        db.session.commit()
        merge_clients(ada_client, [bea_client], db.session.get(User, shop["manager"]))
        db.session.commit()
        assert db.session.get(Job, job_id).client_id == ada_client
        assert db.session.scalar(sa.select(Photo.client_id)) == ada_client
