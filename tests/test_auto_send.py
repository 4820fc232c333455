"""Auto-send per reminder rule: off by default; when on, the rule's message goes out once, with consent."""
from __future__ import annotations

import pytest

from clientbook.extensions import db
from clientbook.messaging.automation import auto_send_due_reminders
from clientbook.models import Message
from clientbook.reminders.generation import run_generation
from clientbook.shop import shop_today
from tests.support.messaging import always_open, enable_channels, make_client, make_template
from tests.test_outbox import smtp  # noqa: F401  (fixture: a real SMTP server on 127.0.0.1)
from tests.support.reminders import add_date, only_rules


@pytest.fixture
def birthday_rule(app, shop, smtp):  # noqa: F811
    with app.app_context():
        enable_channels(email_enabled=True)
        always_open()
        template = make_template("email", body="Happy birthday, {first_name}!", subject="For you, {first_name}")
        (rule,) = only_rules(("Birthday greeting", "date", "birthday", 0))
        rule.message_template_id = template.id
        db.session.commit()
        return rule.id


def add_birthday_client(**overrides):
    today = shop_today()
    client = make_client(**overrides)
    add_date(client, "birthday", month=today.month, day=today.day)
    db.session.commit()
    return client


def switch_auto_send(rule_id: int, on: bool) -> None:
    from clientbook.models import ReminderRule

    db.session.get(ReminderRule, rule_id).auto_send = on
    db.session.commit()


def test_rules_do_not_send_by_themselves_by_default(app, birthday_rule, smtp):  # noqa: F811
    with app.app_context():
        add_birthday_client()
        run_generation(shop_today())
        assert auto_send_due_reminders() == 0
    assert smtp.messages == []


def test_auto_send_sends_the_rule_message_once(app, birthday_rule, smtp):  # noqa: F811
    with app.app_context():
        switch_auto_send(birthday_rule, True)
        add_birthday_client(first_name="Léa", email="lea@example.com")
        run_generation(shop_today())
        assert auto_send_due_reminders() == 1
        assert auto_send_due_reminders() == 0  # the idempotency key holds on a second run
        assert db.session.query(Message).filter_by(state="sent").count() == 1
    assert len(smtp.messages) == 1
    assert smtp.messages[0]["To"] == "lea@example.com"
    assert "Happy birthday, Léa!" in smtp.messages[0].get_body(("plain",)).get_content()


def test_auto_send_skips_clients_without_consent(app, birthday_rule, smtp):  # noqa: F811
    with app.app_context():
        switch_auto_send(birthday_rule, True)
        add_birthday_client(email_opt_in=False)
        run_generation(shop_today())
        assert auto_send_due_reminders() == 0
    assert smtp.messages == []


def test_rule_form_needs_a_message_to_auto_send(client, auth, app):
    auth.login("manager")
    response = client.post("/settings/reminders", data={
        "name": "Birthday text", "trigger": "date", "date_kind": "birthday", "days": "0",
        "message_template_id": "0", "enabled": "y", "auto_send": "y", "auto_send_channel": "",
    })
    assert response.status_code == 422
    assert b"Pick a suggested message to send automatically" in response.data
