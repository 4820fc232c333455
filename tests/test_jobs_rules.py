"""Jobs beyond their page: the stage-based reminder rule, job placeholders, Today, the CSV export."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from clientbook.extensions import db
from clientbook.jobs.messages import ready_message
from clientbook.jobs.records import move_job
from clientbook.models import Client, Job, MessageTemplate, Reminder, ReminderRule, Shop, User, utcnow
from clientbook.placeholders import unknown_placeholders
from clientbook.reminders.drafts import draft_for_reminder
from clientbook.reminders.generation import generate, shop_today
from tests.support.clients import make_client
from tests.test_jobs import make_job, stage


@pytest.fixture
def ctx(app, shop):
    with app.app_context():
        yield shop


def ready_rule(days: int = 3, template: MessageTemplate | None = None) -> ReminderRule:
    rule = ReminderRule(name="Arrange pick-up", trigger="job_stage", days=days,
                        job_stage_id=stage("Repair", "Ready to collect").id,
                        message_template_id=template.id if template else None)
    db.session.add(rule)
    db.session.commit()
    return rule


def entered_ready(job_id: int, local_day: date, hour: int = 17) -> Job:
    """Move a job to Ready to collect, as if it happened at `hour` o'clock shop time on `local_day`."""
    from zoneinfo import ZoneInfo
    from datetime import timezone

    job = db.session.get(Job, job_id)
    move_job(job, stage("Repair", "Ready to collect"), None)
    shop = db.session.scalar(sa.select(Shop))
    local = datetime(local_day.year, local_day.month, local_day.day, hour, tzinfo=ZoneInfo(shop.timezone))
    job.stage_entered_at = local.astimezone(timezone.utc).replace(tzinfo=None)
    db.session.commit()
    return job


# ---- "N days after a job enters stage S" ---------------------------------------------------------

def test_stage_rule_is_due_n_shop_days_after_entering_and_runs_once(ctx):
    rule = ready_rule(3)
    client_id = make_client("Iris", "Vidal", assigned_to_id=ctx["associate"])
    job_id = make_job(client_id, title="Resize ring", assigned_to_id=ctx["associate"])
    # Just after midnight in Paris on 1 December is still 30 November in UTC: the shop's day counts.
    entered_ready(job_id, date(2026, 12, 1), hour=0)
    assert generate(date(2026, 12, 1), date(2026, 12, 10)) == 1
    assert generate(date(2026, 12, 1), date(2026, 12, 10)) == 0  # set-based and idempotent
    reminder, = db.session.scalars(sa.select(Reminder)).all()
    assert (reminder.due_date, reminder.job_id, reminder.kind, reminder.owner_id, reminder.rule_id) == (
        date(2026, 12, 4), job_id, "job", ctx["associate"], rule.id)
    assert reminder.reason == "Arrange pick-up: Resize ring"
    assert reminder.occurrence == f"j{job_id}@2026-12-01"


def test_stage_rule_skips_jobs_that_moved_on_and_other_stages(ctx):
    ready_rule(3)
    client_id = make_client("Iris", "Vidal", assigned_to_id=ctx["associate"])
    collected = make_job(client_id, title="Collected already")
    entered_ready(collected, date(2026, 12, 1))
    move_job(db.session.get(Job, collected), stage("Repair", "Collected"), None)
    make_job(client_id, title="Still received")  # never entered the stage
    waiting = make_job(client_id, title="Waiting")
    entered_ready(waiting, date(2026, 11, 20))  # due 23 Nov: outside the window
    db.session.commit()
    assert generate(date(2026, 12, 1), date(2026, 12, 10)) == 0


def test_stage_rule_reminder_draft_fills_job_placeholders(ctx):
    template = MessageTemplate(name="Pick-up", channel="sms", subject="",
                               body="Hi {first_name}, {job_title} ({ticket}) is ready. Balance {balance_due}, due {due_date}.")
    db.session.add(template)
    db.session.commit()
    ready_rule(2, template)
    client_id = make_client("Iris", "Vidal", assigned_to_id=ctx["associate"])
    job_id = make_job(client_id, title="Restring pearls", value_cents=9000, deposit_cents=2500,
                      due_on=date(2026, 12, 3))
    entered_ready(job_id, date(2026, 12, 1))
    generate(date(2026, 12, 1), date(2026, 12, 10))
    reminder = db.session.scalar(sa.select(Reminder))
    ticket = db.session.get(Job, job_id).ticket
    _subject, body = draft_for_reminder(reminder)
    assert body == f"Hi Iris, Restring pearls ({ticket}) is ready. Balance 65,00\u00a0€, due 3 December 2026."  # the French shop writes money the French way


def test_job_placeholders_are_known_to_templates():
    assert unknown_placeholders("{job_title} {ticket} {due_date} {balance_due} {nope}") == ["nope"]


def test_rule_form_needs_a_stage_for_job_rules(client, auth, app, shop):
    auth.login("manager")
    data = {"name": "Pick-up call", "trigger": "job_stage", "days": "3", "date_kind": "birthday",
            "message_template_id": "0", "enabled": "y", "job_stage_id": "0"}
    response = client.post("/settings/reminders", data=data)
    assert response.status_code == 422 and "Pick the stage" in response.get_data(as_text=True)
    with app.app_context():
        ready = stage("Repair", "Ready to collect").id
        db.session.commit()
    assert client.post("/settings/reminders", data={**data, "job_stage_id": str(ready)}).status_code == 303
    with app.app_context():
        rule = db.session.scalar(sa.select(ReminderRule).where(ReminderRule.name == "Pick-up call"))
        assert (rule.trigger, rule.job_stage_id, rule.days) == ("job_stage", ready, 3)
    page = client.get("/settings/reminders").get_data(as_text=True)
    assert "3 days after a job enters “ready to collect”" in page.lower()


# ---- the "ready" message ---------------------------------------------------------------------------

def test_ready_message_reads_well_and_a_shop_template_wins(ctx):
    client_id = make_client("Iris", "Vidal", assigned_to_id=ctx["associate"])
    job = db.session.get(Job, make_job(client_id, title="resized ring", value_cents=8000, deposit_cents=8000))
    shop = db.session.scalar(sa.select(Shop))
    ada = db.session.get(User, ctx["associate"])
    _subject, body, template_id = ready_message(job, ada, shop, "handoff_sms")
    assert body.startswith("Hello Iris, good news from Maison Perle: your resized ring (ticket ")
    assert "Balance" not in body and body.endswith("See you soon, Ada") and template_id is None
    db.session.add(MessageTemplate(name="Ready to collect", channel="sms", subject="", body="{ticket} ready, {balance_due}"))
    db.session.commit()
    _subject, body, template_id = ready_message(job, ada, shop, "sms")
    assert body == f"{job.ticket} ready, 0,00\u00a0€" and template_id is not None


def test_one_tap_ready_message_is_logged_and_opens_the_app(client, auth, app, shop):
    with app.app_context():
        client_id = make_client("Iris", "Vidal", phone="+33612345678", assigned_to_id=shop["associate"],
                                sms_opt_in=True)
        job_id = make_job(client_id, title="Resized ring")
        entered_ready(job_id, shop_today())
    auth.login("associate")
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert f"/jobs/{job_id}/message/handoff_sms" in page
    response = client.post(f"/jobs/{job_id}/message/handoff_sms", data={"token": "t1"})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "sms:+33612345678?body=Hello%20Iris" in body and "Resized%20ring" in body
    from clientbook.models import Message

    with app.app_context():
        message = db.session.scalar(sa.select(Message))
        assert message.client_id == client_id and "Resized ring" in message.body


# ---- Today -----------------------------------------------------------------------------------------

def test_today_lists_due_jobs_and_ready_ones_not_collected(client, auth, app, shop):
    with app.app_context():
        today = shop_today()
        client_id = make_client("Iris", "Vidal", assigned_to_id=shop["associate"])
        make_job(client_id, title="Overdue resize", assigned_to_id=shop["associate"], due_on=today - timedelta(days=2))
        make_job(client_id, title="Later resize", assigned_to_id=shop["associate"], due_on=today + timedelta(days=9))
        waiting = make_job(client_id, title="Waiting pearls", assigned_to_id=shop["associate"])
        entered_ready(waiting, today - timedelta(days=5))
        fresh = make_job(client_id, title="Just ready", assigned_to_id=shop["associate"])
        entered_ready(fresh, today)
        make_job(client_id, title="Bea's job", assigned_to_id=shop["associate2"], due_on=today)
    auth.login("associate")
    page = client.get("/today").get_data(as_text=True)
    assert "Overdue resize" in page and "Waiting pearls" in page and "Not collected" in page
    assert "Later resize" not in page and "Just ready" not in page and "Bea's job" not in page
    assert "Move Waiting pearls to Collected" in page  # one tap from Today, like Done
    with app.app_context():
        collected = stage("Repair", "Collected").id
    response = client.post(f"/jobs/{waiting}/stage", data={"stage_id": collected, "next": "/today"})
    assert response.status_code == 303 and response.headers["Location"] == "/today"
    assert "Waiting pearls" not in client.get("/today").get_data(as_text=True)


# ---- export ----------------------------------------------------------------------------------------

def test_export_jobs_csv_has_the_columns_iso_dates_and_no_formulas(app, runner, shop, tmp_path):
    with app.app_context():
        client_id = make_client("=cmd", "Vidal", assigned_to_id=shop["associate"])
        job_id = make_job(client_id, title="+SUM(A1)", due_on=date(2026, 12, 20), value_cents=12050,
                          deposit_cents=2000, assigned_to_id=shop["associate"])
        move_job(db.session.get(Job, job_id), stage("Repair", "Collected"), None)
        db.session.commit()
    out = tmp_path / "jobs.csv"
    result = runner.invoke(args=["export-jobs", str(out)])
    assert result.exit_code == 0 and "Exported 1 jobs" in result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert {"id", "client_id", "client_name", "type", "stage", "title", "ticket", "due_on", "value", "deposit",
            "assigned_to", "created_at", "closed_at", "outcome"} <= set(rows[0])
    row = rows[0]
    assert (row["client_name"], row["title"], row["type"], row["stage"], row["due_on"], row["value"], row["deposit"],
            row["assigned_to"], row["outcome"]) == ("'=cmd Vidal", "'+SUM(A1)", "Repair", "Collected", "2026-12-20",
                                                    "120.50", "20.00", "ada@maison-perle.com", "collected")
    assert datetime.fromisoformat(row["closed_at"]) and datetime.fromisoformat(row["created_at"])
    stdout = runner.invoke(args=["export-jobs", "-"])
    assert stdout.output.splitlines()[0].startswith("id,client_id,client_name")


# ---- the default stage rules a shop starts with -------------------------------------------------------

def _set_up_a_new_shop(client):
    from tests.conftest import PASSWORD

    response = client.post("/setup", data={
        "shop_name": "Atelier Lune", "country": "BE", "timezone": "Europe/Brussels", "currency": "EUR",
        "owner_name": "Léa Lune", "email": "lea@atelier-lune.be", "password": PASSWORD})
    assert response.status_code == 302


def _stage_rules() -> dict[str, tuple]:
    from clientbook.models import JobType, Stage

    rows = db.session.execute(
        sa.select(ReminderRule.name, JobType.name, Stage.name, ReminderRule.days, ReminderRule.enabled,
                  MessageTemplate.body)
        .join(Stage, Stage.id == ReminderRule.job_stage_id).join(JobType, JobType.id == Stage.job_type_id)
        .outerjoin(MessageTemplate, MessageTemplate.id == ReminderRule.message_template_id)
        .where(ReminderRule.trigger == "job_stage")).all()
    return {name: (type_name, stage_name, days, enabled, body) for name, type_name, stage_name, days, enabled, body in rows}


def test_a_new_shop_starts_with_the_pick_up_and_delivered_rules(client, app):
    _set_up_a_new_shop(client)
    with app.app_context():
        rules = _stage_rules()
        assert {name: values[:4] for name, values in rules.items()} == {
            "Call to arrange pick-up": ("Repair", "Ready to collect", 3, True),
            "Thank-you for the order": ("Custom order", "Delivered", 2, True)}
        assert "{job_title} (ticket {ticket})" in rules["Call to arrange pick-up"][4]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ReminderRule).where(
            ReminderRule.trigger != "job_stage")) == 7  # the date, purchase and lapsed defaults as before


def test_the_default_stage_rules_generate_reminders(client, app):
    _set_up_a_new_shop(client)
    with app.app_context():
        today = shop_today()
        iris = make_client("Iris", "Vidal")
        repair = make_job(iris, title="Resize ring")
        entered_ready(repair, today - timedelta(days=3))
        order = make_job(iris, "Custom order", title="Engagement ring")
        move_job(db.session.get(Job, order), stage("Custom order", "Delivered"), None)
        job = db.session.get(Job, order)
        job.stage_entered_at = utcnow() - timedelta(days=2)
        db.session.commit()
        assert generate(today, today) == 2
        reasons = sorted(db.session.scalars(sa.select(Reminder.reason).where(Reminder.kind == "job")))
        assert reasons == ["Call to arrange pick-up: Resize ring", "Thank-you for the order: Engagement ring"]
        pick_up = db.session.scalar(sa.select(Reminder).where(Reminder.job_id == repair))
        _subject, body = draft_for_reminder(pick_up)
        ticket = db.session.get(Job, repair).ticket
        assert body.startswith(f"Hello Iris, your Resize ring (ticket {ticket}) is waiting for you at Atelier Lune.")


@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_the_migration_gives_existing_shops_the_stage_rules_once(app):
    from flask_migrate import downgrade, upgrade

    from clientbook.jobs.records import ensure_job_types
    from clientbook.models import JobType, ReminderRunState, Stage

    with app.app_context():
        db.drop_all()
        upgrade(revision="0012_today")
        # A shop set up before: its defaults seeded, repairs in use, and its own rule on "Delivered" already.
        db.session.add(ReminderRunState(defaults_seeded=True))
        ensure_job_types()
        delivered = db.session.scalar(sa.select(Stage.id).join(JobType).where(
            JobType.name == "Custom order", Stage.name == "Delivered"))
        db.session.add(ReminderRule(name="Our own thanks", trigger="job_stage", days=5, job_stage_id=delivered))
        db.session.commit()
        upgrade(revision="0013_today_rules")
        rules = _stage_rules()
        assert {name: values[:3] for name, values in rules.items()} == {
            "Call to arrange pick-up": ("Repair", "Ready to collect", 3),
            "Our own thanks": ("Custom order", "Delivered", 5)}
        assert rules["Call to arrange pick-up"][4].startswith("Hello {first_name}, your {job_title}")
        db.session.commit()
        downgrade(revision="base")
        db.session.execute(sa.text("DROP TABLE alembic_version"))
        db.session.commit()


@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_the_migration_leaves_shops_without_repairs_or_seeded_defaults_alone(app):
    from flask_migrate import downgrade, upgrade

    from clientbook.models import ReminderRunState

    with app.app_context():
        db.drop_all()
        upgrade(revision="0012_today")
        db.session.add(ReminderRunState(defaults_seeded=True))  # no job types yet
        db.session.commit()
        upgrade(revision="0013_today_rules")
        assert _stage_rules() == {}
        db.session.commit()
        downgrade(revision="0012_today")
        db.session.execute(sa.delete(ReminderRunState))
        from clientbook.jobs.records import ensure_job_types
        ensure_job_types()  # repairs exist, but the defaults were never seeded: the first run seeds them all
        db.session.commit()
        upgrade(revision="0013_today_rules")
        assert _stage_rules() == {}
        db.session.commit()
        downgrade(revision="base")
        db.session.execute(sa.text("DROP TABLE alembic_version"))
        db.session.commit()
