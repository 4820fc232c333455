"""Helpers shared by the reminder, Today and digest tests (no tests here)."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from clientbook.extensions import db
from clientbook.models import Client, ImportantDate, Purchase, PurchaseItem, Reminder, ReminderRule, Shop
from clientbook.reminders.defaults import ensure_default_rules


def add_client(first="Marc", last="Dupont", owner_id=None, **fields) -> Client:
    client = Client(first_name=first, last_name=last, assigned_to_id=owner_id, **fields)
    db.session.add(client)
    db.session.flush()
    return client


def add_date(client: Client, kind="birthday", month=12, day=5, year=None, for_whom="", label="") -> ImportantDate:
    important = ImportantDate(client_id=client.id, kind=kind, month=month, day=day, year=year,
                              for_whom=for_whom, label=label)
    db.session.add(important)
    db.session.flush()
    return important


def add_purchase(client: Client, on: date, total_cents=10_000, items=(("Pearl earrings", "Earrings"),)) -> Purchase:
    purchase = Purchase(client_id=client.id, purchased_on=on, total_cents=total_cents)
    for description, category in items:
        purchase.items.append(PurchaseItem(description=description, category=category, amount_cents=total_cents))
    db.session.add(purchase)
    db.session.flush()
    return purchase


def only_rules(*specs) -> list[ReminderRule]:
    """Replace the default rules by these (name, trigger, date_kind, days[, categories, min_cents])."""
    ensure_default_rules()
    db.session.execute(sa.update(ReminderRule).values(enabled=False))
    rules = []
    for spec in specs:
        name, trigger, date_kind, days, *rest = spec
        categories = rest[0] if rest else ""
        min_cents = rest[1] if len(rest) > 1 else None
        rule = ReminderRule(name=name, trigger=trigger, date_kind=date_kind, days=days,
                            categories=categories, min_amount_cents=min_cents, enabled=True)
        db.session.add(rule)
        rules.append(rule)
    db.session.flush()
    return rules


def reminders(**where) -> list[Reminder]:
    query = sa.select(Reminder).order_by(Reminder.due_date, Reminder.id)
    for key, value in where.items():
        query = query.where(getattr(Reminder, key) == value)
    return list(db.session.scalars(query))


def set_timezone(name: str) -> None:
    db.session.scalar(sa.select(Shop)).timezone = name
    db.session.flush()
