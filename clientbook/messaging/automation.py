"""Automated messages (e.g. a birthday email on the day), for reminder rules with auto-send on.

The reminders feature calls queue_automated_message(); the idempotency key
(purpose, client, occurrence) makes a second call for the same occasion a no-op.
"""
from __future__ import annotations

import logging

import sqlalchemy as sa

from clientbook.extensions import db
from clientbook.messaging import consent
from clientbook.messaging.drafts import render_text
from clientbook.messaging.outbox import enqueue_delivery, queue_message
from clientbook.messaging.settings import channel_enabled
from clientbook.models import Client, Message, MessageTemplate, Reminder, ReminderRule
from clientbook.reminders.wording import occasion_label
from clientbook.shop import current_shop, shop_today

log = logging.getLogger(__name__)


def automated_key(purpose: str, client_id: int, occurrence: str) -> str:
    return f"{purpose}:{client_id}:{occurrence}"[:160]


def queue_automated_message(client_id: int, template_id: int, channel: str, purpose: str, occurrence: str,
                            date_label: str = "", reminder_id: int | None = None) -> Message | None:
    """Queue one automated message and enqueue its delivery.

    Returns the new message, or None when it may not be sent or was already queued for
    this (purpose, client, occurrence): safe to call any number of times. Commits.
    """
    client = db.session.get(Client, client_id)
    template = db.session.get(MessageTemplate, template_id)
    if client is None or template is None or not template.active or channel not in ("sms", "email"):
        return None
    if not channel_enabled(channel) or consent.why_not(client, channel):
        return None
    shop = current_shop()
    message, created = queue_message(
        client=client, channel=channel, to_address=consent.address_for(client, channel) or "",
        body=render_text(template.body, client, None, shop, date_label),
        subject=render_text(template.subject or template.name, client, None, shop, date_label),
        user_id=client.assigned_to_id, purpose=purpose[:40], template_id=template.id,
        reminder_id=reminder_id, idempotency_key=automated_key(purpose, client.id, occurrence),
    )
    db.session.commit()
    if not created:
        return None
    enqueue_delivery(message.id)
    return message


def auto_send_due_reminders() -> int:
    """Queue messages for open reminders due today whose rule has auto_send on."""
    shop = current_shop()
    if shop is None:
        return 0
    today = shop_today()
    rows = db.session.execute(
        sa.select(Reminder, ReminderRule).join(ReminderRule, ReminderRule.id == Reminder.rule_id)
        .where(ReminderRule.auto_send.is_(True), ReminderRule.message_template_id.is_not(None),
               Reminder.state == "open", Reminder.due_date <= today)
    ).all()
    queued = 0
    for reminder, rule in rows:
        template = rule.message_template
        channel = rule.auto_send_channel or (template.channel if template else "email")
        label = occasion_label(reminder)
        if queue_automated_message(reminder.client_id, rule.message_template_id, channel,
                                   purpose=f"rule{rule.id}", occurrence=reminder.occurrence,
                                   date_label=label, reminder_id=reminder.id):
            queued += 1
    return queued
