"""Turning a template into the words a client will read, and choosing the draft that fits the moment.

The draft follows the context, in this order: the open reminder being worked on; a purchase in
the last THANK_YOU_DAYS days (thank-you); an occasion in the next OCCASION_DAYS days (that
occasion's template); otherwise a neutral check-in. A template declares what it needs by the
placeholders it uses; one whose placeholders this client can't fill ("I hope you love your .")
is passed over.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from clientbook.extensions import db
from clientbook.models import Client, MessageTemplate, Purchase, Reminder, ReminderRule, Shop, User
from clientbook.placeholders import PLACEHOLDERS, _FIELD, fill_placeholders, placeholder_values
from clientbook.reminders.defaults import DEFAULT_TEMPLATES
from clientbook.reminders.rules import next_occurrence
from clientbook.reminders.wording import date_label

FALLBACK_BODY = "Hello {first_name}, it's {associate_first_name} from {shop_name}. "
# Which template channel a message channel draws its text from.
TEMPLATE_CHANNEL = {"sms": "sms", "handoff_sms": "sms", "whatsapp": "sms", "email": "email", "handoff_email": "email"}
THANK_YOU_DAYS = 14
OCCASION_DAYS = 14
# The neutral check-in every shop has (seeded when missing): it needs nothing but names.
CHECK_IN_NAME = "Keeping in touch"
CHECK_IN_BODY = ("Hello {first_name}, it's {associate_first_name} from {shop_name}. I hope all is well. "
                 "If there is anything I can do for you, just reply here.")
# Last resort when even a first name is missing.
_NAMELESS_CHECK_IN = ("Hello, it's {associate_first_name} from {shop_name}. I hope all is well. "
                      "If there is anything I can do for you, just reply here.")


@dataclass
class Draft:
    subject: str
    body: str
    template: MessageTemplate | None
    why: str  # shown to the associate: why this draft


def render_text(text: str, client: Client | None, associate: User | None, shop: Shop | None,
                date_label: str = "") -> str:
    return fill_placeholders(text, placeholder_values(client, associate, shop, date_label))


def template_needs(*texts: str) -> list[str]:
    """The placeholders these texts use, in order: what a template needs to read well."""
    needed: list[str] = []
    for text in texts:
        for name in _FIELD.findall(text or ""):
            name = name.strip()
            if name in PLACEHOLDERS and name not in needed:
                needed.append(name)
    return needed


def missing_for(template: MessageTemplate, values: dict[str, str]) -> list[str]:
    """Placeholders of the template this client leaves empty (described for people)."""
    return [PLACEHOLDERS[name].lower() for name in template_needs(template.subject, template.body)
            if not values.get(name)]


def templates_for(channel: str) -> list[MessageTemplate]:
    wanted = TEMPLATE_CHANNEL.get(channel, channel)
    return list(db.session.scalars(
        sa.select(MessageTemplate).where(MessageTemplate.active.is_(True), MessageTemplate.channel == wanted)
        .order_by(MessageTemplate.name, MessageTemplate.id)
    ))


def ensure_check_in_template() -> MessageTemplate:
    """The neutral check-in template, created if the shop has none (caller commits)."""
    template = db.session.scalar(sa.select(MessageTemplate).where(MessageTemplate.name == CHECK_IN_NAME).limit(1))
    if template is None:
        template = MessageTemplate(name=CHECK_IN_NAME, channel="sms", subject=CHECK_IN_NAME, body=CHECK_IN_BODY)
        db.session.add(template)
        db.session.flush()
    return template


def _fill(subject: str, body: str, template: MessageTemplate | None, values: dict[str, str], why: str) -> Draft:
    return Draft(fill_placeholders(subject, values).strip(), fill_placeholders(body, values).strip(), template, why)


def _first_fillable(candidates: list[MessageTemplate | None], fallback: tuple[str, str], values: dict[str, str],
                    why: str) -> Draft | None:
    """The first active template (None stands for the built-in fallback text) this client can fill."""
    for template in candidates:
        if template is None:
            subject, body = fallback
            if not [n for n in template_needs(subject, body) if not values.get(n)]:
                return _fill(subject, body, None, values, why)
        elif template.active and not missing_for(template, values):
            return _fill(template.subject or template.name, template.body, template, values, why)
    return None


def _rule_templates(*conditions) -> list[MessageTemplate | None]:
    rules = db.session.scalars(sa.select(ReminderRule).where(ReminderRule.enabled.is_(True), *conditions)
                               .order_by(ReminderRule.days, ReminderRule.id)).all()
    return [rule.message_template for rule in rules if rule.message_template is not None] + [None]


def _thank_you(client: Client, values: dict[str, str], today: date) -> Draft | None:
    last = db.session.scalar(sa.select(sa.func.max(Purchase.purchased_on)).where(Purchase.client_id == client.id))
    if last is None or not 0 <= (today - last).days <= THANK_YOU_DAYS:
        return None
    when = "today" if last == today else "yesterday" if (today - last).days == 1 else f"{(today - last).days} days ago"
    return _first_fillable(_rule_templates(ReminderRule.trigger == "purchase"), DEFAULT_TEMPLATES["thank_you"],
                           values, f"Thank-you: bought {when}")


def _occasion(client: Client, values: dict[str, str], today: date) -> Draft | None:
    coming = sorted(((next_occurrence(d.month, d.day, today), d.id, d) for d in client.important_dates),
                    key=lambda item: item[:2])
    for occurs, _, important in coming:
        days = (occurs - today).days
        if days > OCCASION_DAYS:
            break
        on_the_day = days == 0
        kind_rules = [ReminderRule.trigger == "date", ReminderRule.date_kind == important.kind,
                      ReminderRule.days == 0 if on_the_day else ReminderRule.days > 0]
        fallback = DEFAULT_TEMPLATES[important.kind if on_the_day and important.kind in DEFAULT_TEMPLATES else "upcoming"]
        label = date_label(important)
        when = "today" if on_the_day else "tomorrow" if days == 1 else f"in {days} days"
        draft = _first_fillable(_rule_templates(*kind_rules), fallback, {**values, "date_label": label},
                                f"{label[0].upper() + label[1:]} {when}")
        if draft is not None:
            return draft
    return None


def _check_in(values: dict[str, str]) -> Draft:
    template = db.session.scalar(sa.select(MessageTemplate).where(
        MessageTemplate.name == CHECK_IN_NAME, MessageTemplate.active.is_(True)).limit(1))
    draft = _first_fillable([template, None], (CHECK_IN_NAME, CHECK_IN_BODY), values, "A friendly check-in")
    return draft or _fill(CHECK_IN_NAME, _NAMELESS_CHECK_IN, None, values, "A friendly check-in")


def choose_draft(client: Client, associate: User | None, shop: Shop | None, today: date,
                 reminder: Reminder | None = None) -> Draft:
    """The message that fits this client today (see the module docstring for the order)."""
    if reminder is not None:
        from clientbook.reminders.drafts import draft_for_reminder
        from clientbook.reminders.wording import headline

        subject, body = draft_for_reminder(reminder)
        template = reminder.rule.message_template if reminder.rule is not None else None
        return Draft(subject, body, template, headline(reminder, today))
    values = placeholder_values(client, associate, shop)
    return _thank_you(client, values, today) or _occasion(client, values, today) or _check_in(values)
