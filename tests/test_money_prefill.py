"""Edit forms show stored amounts in the shop's locale and read them back unchanged.

A French shop sees "12,50" in the field; saving the form as shown keeps 1 250 cents.
"""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from clientbook.extensions import db
from clientbook.jobs.records import create_job, ensure_job_types, move_job
from clientbook.models import Client, Job, JobType, Purchase, ReminderRule, Shop
from tests.support.clients import make_client
from tests.support.html import form_fields, select


def shown_fields(html: str, action: str) -> dict:
    """The fields of the page's first form whose action ends with `action`, as shown."""
    form = next(form for form in select(html, "form") if form.get("action", "").endswith(action))
    return form_fields(form)


@pytest.fixture
def job_id(app, shop):
    with app.app_context():
        ensure_job_types()
        client_id = make_client("Éloïse", "Marchand", assigned_to_id=shop["associate"])
        kind = db.session.scalar(sa.select(JobType).where(JobType.name == "Custom order"))
        job = create_job(db.session.get(Client, client_id), kind, title="Engagement ring", user=None,
                         value_cents=125050, deposit_cents=1250, assigned_to_id=shop["associate"])
        db.session.commit()
        return job.id


def test_job_edit_shows_amounts_with_a_decimal_comma_and_keeps_them(client, auth, app, job_id):
    auth.login("associate")
    fields = shown_fields(client.get(f"/jobs/{job_id}/edit").get_data(as_text=True), f"/jobs/{job_id}/edit")
    assert (fields["value"], fields["deposit"]) == ("1250,50", "12,50")
    assert client.post(f"/jobs/{job_id}/edit", data=fields).status_code == 303
    with app.app_context():
        job = db.session.get(Job, job_id)
        assert (job.value_cents, job.deposit_cents) == (125050, 1250)


def test_job_to_purchase_prefills_the_balance_with_a_decimal_comma(client, auth, app, shop, job_id):
    with app.app_context():
        job = db.session.get(Job, job_id)
        move_job(job, next(s for s in job.job_type.stages if s.name == "Delivered"), None)
        db.session.commit()
    auth.login("associate")
    page = client.get(f"/jobs/{job_id}/purchase").get_data(as_text=True)
    fields = shown_fields(page, f"/jobs/{job_id}/purchase")
    assert fields["amount"] == "1250,50"
    assert client.post(f"/jobs/{job_id}/purchase", data=fields).status_code == 303
    with app.app_context():
        assert db.session.scalar(sa.select(Purchase.total_cents)) == 125050


def test_rule_edit_shows_the_minimum_amount_with_a_decimal_comma_and_keeps_it(client, auth, app, shop):
    with app.app_context():
        rule = ReminderRule(name="Big rings", trigger="purchase", days=30, min_amount_cents=1250, enabled=True)
        db.session.add(rule)
        db.session.commit()
        rule_id = rule.id
    auth.login("manager")
    fields = shown_fields(client.get(f"/settings/reminders/{rule_id}").get_data(as_text=True),
                          f"/settings/reminders/{rule_id}")
    assert fields["min_amount"] == "12,50"
    assert client.post(f"/settings/reminders/{rule_id}", data=fields).status_code == 303
    with app.app_context():
        assert db.session.get(ReminderRule, rule_id).min_amount_cents == 1250


def test_a_shop_with_a_decimal_point_sees_one(client, auth, app, job_id):
    with app.app_context():
        db.session.scalar(sa.select(Shop)).country = "US"
        db.session.commit()
    auth.login("associate")
    fields = shown_fields(client.get(f"/jobs/{job_id}/edit").get_data(as_text=True), f"/jobs/{job_id}/edit")
    assert (fields["value"], fields["deposit"]) == ("1250.50", "12.50")
