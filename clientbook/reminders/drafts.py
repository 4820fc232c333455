"""A ready message draft for a reminder: the rule's template filled in for this client."""
from __future__ import annotations

import sqlalchemy as sa

from clientbook.extensions import db
from clientbook.models import MessageTemplate, Reminder, Shop
from clientbook.jobs.messages import reminder_job_values
from clientbook.placeholders import fill_placeholders, placeholder_values
from clientbook.reminders.defaults import DEFAULT_TEMPLATES
from clientbook.reminders.wording import occasion_label

# A reminder without a rule template (a manual follow-up) still opens with a friendly draft.
_FALLBACK_BY_KIND = {
    "birthday": "birthday", "anniversary": "anniversary", "custom": "upcoming",
    "purchase": "thank_you", "lapsed": "lapsed",
}
_MANUAL_DRAFT = ("Following up", "Hello {first_name}, {associate_first_name} from {shop_name} here. ")


def reminder_placeholder_values(reminder: Reminder) -> dict[str, str]:
    shop = db.session.scalar(sa.select(Shop).limit(1))
    values = placeholder_values(reminder.client, reminder.owner, shop, occasion_label(reminder))
    values["last_item"] = values["last_item"] or "purchase"
    return values | reminder_job_values(reminder)


def draft_for_reminder(reminder: Reminder) -> tuple[str, str]:
    """(subject, body) of the suggested message, placeholders filled in for the reminder's client."""
    template: MessageTemplate | None = reminder.rule.message_template if reminder.rule else None
    if template is not None and template.active:
        subject, body = template.subject or template.name, template.body
    elif reminder.kind in _FALLBACK_BY_KIND:
        subject, body = DEFAULT_TEMPLATES[_FALLBACK_BY_KIND[reminder.kind]]
    else:
        subject, body = _MANUAL_DRAFT
    values = reminder_placeholder_values(reminder)
    return fill_placeholders(subject, values).strip(), fill_placeholders(body, values).strip()
