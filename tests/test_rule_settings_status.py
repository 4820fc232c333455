"""Settings -> Reminders says what is true: when reminders were made, and only the fields a rule uses."""
from datetime import timedelta

import sqlalchemy as sa

from clientbook.extensions import db
from clientbook.models import Reminder, ReminderRule
from clientbook.reminders.defaults import ensure_default_rules, run_state
from clientbook.reminders.generation import generate
from clientbook.shop import shop_today
from tests.support.html import parse
from tests.support.reminders import add_client, add_date


def _visible_labels(page: str) -> str:
    """The page's text without the parts drawn hidden for another kind of rule."""
    return parse(page).visible_text


def test_status_says_when_reminders_were_made_when_the_run_state_never_recorded_it(client, auth, app, shop):
    with app.app_context():
        ensure_default_rules()
        today = shop_today()
        marc = add_client("Marc", "Dupont", owner_id=shop["associate"])
        soon = today + timedelta(days=14)
        add_date(marc, "birthday", soon.month, soon.day)
        db.session.flush()
        # A rule saved on the settings page creates reminders without a morning run.
        assert generate(today, today + timedelta(days=7)) >= 1
        assert run_state().last_generated_day is None
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Reminder)) >= 1
    auth.login("manager")
    page = client.get("/settings/reminders").get_data(as_text=True)
    assert "not been generated yet" not in page
    assert f"last brought up to date for <strong>{today.strftime('%a %-d %b %Y')}</strong>" in page


def test_status_says_not_yet_only_when_there_are_none(client, auth, app, shop):
    auth.login("manager")
    page = client.get("/settings/reminders").get_data(as_text=True)
    assert "Reminders have not been generated yet" in page


def test_a_purchase_rule_shows_purchase_fields_and_no_kind_of_date(client, auth, app, shop):
    with app.app_context():
        ensure_default_rules()
        rule = db.session.scalar(sa.select(ReminderRule).where(ReminderRule.trigger == "purchase").limit(1))
        rule_id = rule.id
        db.session.commit()
    auth.login("manager")
    page = client.get(f"/settings/reminders/{rule_id}").get_data(as_text=True)
    shown = _visible_labels(page)
    assert "Only these product categories" in shown and "Only purchases of at least" in shown
    assert "Kind of date" not in shown and "Job stage" not in shown
    assert "js/rule-fields.js" in page and "<script>" not in page


def test_a_date_rule_shows_kind_of_date_only(client, auth, app, shop):
    with app.app_context():
        ensure_default_rules()
        rule_id = db.session.scalar(sa.select(ReminderRule.id).where(ReminderRule.trigger == "date").limit(1))
        db.session.commit()
    auth.login("manager")
    shown = _visible_labels(client.get(f"/settings/reminders/{rule_id}").get_data(as_text=True))
    assert "Kind of date" in shown
    assert "Only these product categories" not in shown and "Job stage" not in shown


def test_a_refused_purchase_rule_is_redrawn_as_a_purchase_rule(client, auth, app, shop):
    auth.login("manager")
    response = client.post("/settings/reminders", data={
        "name": "", "trigger": "purchase", "days": "30", "message_template_id": "0"})
    assert response.status_code == 422
    shown = _visible_labels(response.get_data(as_text=True))
    assert "Only these product categories" in shown and "Kind of date" not in shown


def test_a_date_rule_ignores_a_stray_amount(client, auth, app, shop):
    auth.login("manager")
    response = client.post("/settings/reminders", data={
        "name": "Gift time", "trigger": "date", "date_kind": "birthday", "days": "10",
        "min_amount": "lots", "message_template_id": "0", "enabled": "y"})
    assert response.status_code == 303
    with app.app_context():
        rule = db.session.scalar(sa.select(ReminderRule).where(ReminderRule.name == "Gift time"))
        assert (rule.trigger, rule.min_amount_cents) == ("date", None)
