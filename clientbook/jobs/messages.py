"""Messages about a job: its placeholders, and the one-tap "ready to collect" message."""
from __future__ import annotations

import sqlalchemy as sa

from clientbook.extensions import db
from clientbook.models import Job, MessageTemplate, Reminder, Shop, User
from clientbook.money import format_money
from clientbook.placeholders import fill_placeholders, placeholder_values

# The shop can word it its own way: an active message template with this name is used instead.
READY_TEMPLATE_NAME = "Ready to collect"
READY_DRAFT = (
    "Your {job_title} is ready",
    "Hello {first_name}, good news from {shop_name}: your {job_title} (ticket {ticket}) is ready to collect. "
    "{balance_line}See you soon, {associate_first_name}",
)


def job_placeholder_values(job: Job | None, shop: Shop | None) -> dict[str, str]:
    if job is None:
        return {}
    due = job.due_on
    return {
        "job_title": job.title,
        "ticket": job.ticket,
        "due_date": f"{due.day} {due:%B %Y}" if due else "",
        "balance_due": format_money(job.balance_due_cents, shop.currency if shop else None),
    }


def reminder_job_values(reminder: Reminder) -> dict[str, str]:
    """Job placeholders for a reminder raised by a job's stage (empty for other reminders)."""
    if reminder.job_id is None:
        return {}
    shop = db.session.scalar(sa.select(Shop).limit(1))
    return job_placeholder_values(db.session.get(Job, reminder.job_id), shop)


def ready_template(channel: str) -> MessageTemplate | None:
    from clientbook.messaging.drafts import TEMPLATE_CHANNEL

    return db.session.scalar(sa.select(MessageTemplate).where(
        MessageTemplate.active.is_(True), MessageTemplate.name == READY_TEMPLATE_NAME,
        MessageTemplate.channel == TEMPLATE_CHANNEL.get(channel, channel)).limit(1))


def ready_message(job: Job, associate: User | None, shop: Shop | None, channel: str) -> tuple[str, str, int | None]:
    """(subject, body, template id) of the message telling the client their job is ready."""
    template = ready_template(channel)
    values = placeholder_values(job.client, associate, shop) | job_placeholder_values(job, shop)
    if template is not None:
        subject, body = template.subject or template.name, template.body
    else:
        subject, body = READY_DRAFT
        balance = job.balance_due_cents
        values["balance_line"] = f"Balance to pay: {values['balance_due']}. " if balance else ""
        body = body.replace("{balance_line}", values["balance_line"])
    return (fill_placeholders(subject, values).strip(), fill_placeholders(body, values).strip(),
            template.id if template else None)
