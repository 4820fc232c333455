"""`flask reminders due/run` and Settings -> Reminders."""
import csv
import io
from datetime import date

import pytest
import sqlalchemy as sa

from clientbook.extensions import db
from clientbook.models import Reminder, ReminderRule
from clientbook.reminders.defaults import ensure_default_rules
from tests.support.reminders import add_client, add_date, add_purchase


@pytest.fixture
def dated_book(app, shop):
    with app.app_context():
        ensure_default_rules()
        marc = add_client("Marc", "Dupont", owner_id=shop["associate"])
        add_date(marc, "birthday", 12, 19, for_whom="wife Anna")
        add_purchase(marc, date(2026, 12, 3))
        add_date(add_client("=cmd", "Formula"), "birthday", 12, 5)
        db.session.commit()
    return shop


def test_due_prints_csv_and_creates_nothing(runner, app, dated_book):
    result = runner.invoke(args=["reminders", "due", "--on", "2026-12-05"])
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.output)))
    assert rows[0] == ["date", "client_id", "client_name", "kind", "reason", "assigned_to"]
    body = sorted(rows[1:], key=lambda row: row[4])
    assert [row[2:] for row in body] == [
        ["'=cmd Formula", "birthday", "'=cmd’s birthday today", ""],  # formulas are neutralised
        ["Marc Dupont", "birthday", "Anna’s birthday in 14 days — wife of Marc Dupont", "Ada Associate"],
        ["Marc Dupont", "purchase", "Thank-you: bought 2 days ago", "Ada Associate"],
    ]
    assert all(row[0] == "2026-12-05" for row in body)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Reminder)) == 0


def test_due_rejects_a_bad_date(runner, dated_book):
    result = runner.invoke(args=["reminders", "due", "--on", "5/12/2026"])
    assert result.exit_code != 0 and "not a date" in result.output


def test_run_creates_and_reports(runner, app, dated_book):
    result = runner.invoke(args=["reminders", "run", "--on", "2026-12-05"])
    assert result.exit_code == 0 and result.output.strip() == "3 reminders created"
    result = runner.invoke(args=["reminders", "run", "--on", "2026-12-05"])
    assert result.output.strip() == "0 reminders created"


@pytest.mark.parametrize("who, status", [("associate", 403), ("manager", 200), ("owner", 200)])
def test_rules_page_roles(client, auth, shop, who, status):
    auth.login(who)
    assert client.get("/settings/reminders").status_code == status
    assert client.post("/settings/reminders", data={"name": "x"}).status_code in ((403,) if status == 403 else (422,))


def test_manager_adds_edits_previews_and_switches_off_a_rule(client, auth, app, dated_book):
    auth.login("manager")
    page = client.get("/settings/reminders").get_data(as_text=True)
    assert "Birthday coming up" in page and "14 days before" in page and "Lapsed client" in page
    response = client.post("/settings/reminders", data={
        "name": "Ring cleaning", "trigger": "purchase", "date_kind": "birthday", "days": "180",
        "categories": "Rings", "min_amount": "150", "message_template_id": "0", "enabled": "y",
    })
    assert response.status_code == 303
    with app.app_context():
        rule = db.session.scalar(sa.select(ReminderRule).where(ReminderRule.name == "Ring cleaning"))
        assert (rule.categories, rule.min_amount_cents, rule.date_kind, rule.enabled) == ("Rings", 15000, None, True)
        rule_id = rule.id
    edit = client.get(f"/settings/reminders/{rule_id}").get_data(as_text=True)
    assert "would create no reminders" in edit and 'value="150,00"' in edit
    preview = client.get(f"/settings/reminders/{rule_id}/preview", headers={"HX-Request": "true"})
    assert "No reminders in the next 7 days" in preview.get_data(as_text=True)
    client.post(f"/settings/reminders/{rule_id}/enabled", data={"enabled": "0"})
    with app.app_context():
        assert db.session.get(ReminderRule, rule_id).enabled is False


@pytest.mark.parametrize("data, field_error", [
    ({"name": "", "trigger": "date", "date_kind": "birthday", "days": "3"}, "Give the rule a name."),
    ({"name": "Lapsed", "trigger": "lapsed", "date_kind": "birthday", "days": "2"}, "at least 7 days"),
    ({"name": "Big", "trigger": "purchase", "date_kind": "birthday", "days": "2", "min_amount": "lots"},
     "“lots” is not an amount"),
    ({"name": "Neg", "trigger": "purchase", "date_kind": "birthday", "days": "-1"}, "Number must be"),
])
def test_bad_rules_are_refused_beside_the_field(client, auth, app, dated_book, data, field_error):
    auth.login("manager")
    with app.app_context():
        before = db.session.scalar(sa.select(sa.func.count()).select_from(ReminderRule))
    response = client.post("/settings/reminders", data={"message_template_id": "0", **data})
    assert response.status_code == 422 and field_error in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ReminderRule)) == before


def test_default_rules_cannot_be_deleted(client, auth, app, dated_book):
    auth.login("manager")
    with app.app_context():
        default_id = db.session.scalar(sa.select(ReminderRule.id).where(ReminderRule.is_default.is_(True)))
    client.post(f"/settings/reminders/{default_id}/delete")
    with app.app_context():
        assert db.session.get(ReminderRule, default_id) is not None
