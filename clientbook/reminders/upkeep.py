"""Keeping open reminders true to the client book when clients change (signal receivers).

Receivers run inside the sender's transaction: they flush and write, never commit.
"""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from clientbook.extensions import db
from clientbook.models import Client, ImportantDate, Reminder, ReminderRule, User, utcnow
from clientbook.models.clients import DATE_KINDS
from clientbook.models.reminders import OPEN_STATES
from clientbook.reminders import rules as date_rules
from clientbook.reminders.defaults import ensure_default_rules
from clientbook.reminders.generation import generate_for_clients


def _client_ids(client_id=None, client_ids=None) -> list[int]:
    ids = list(client_ids or [])
    if client_id is not None:
        ids.append(client_id)
    return sorted({int(i) for i in ids})


def reassign_open_reminders(client_ids: list[int]) -> None:
    """Rule reminders follow the client's assigned associate (the shop queue if none or inactive).

    Manual follow-ups stay with the person they were given to.
    """
    owner = (
        sa.select(sa.case((User.active.is_(True), Client.assigned_to_id), else_=sa.null()))
        .select_from(Client).outerjoin(User, User.id == Client.assigned_to_id)
        .where(Client.id == Reminder.client_id).scalar_subquery()
    )
    db.session.execute(
        sa.update(Reminder)
        .where(Reminder.client_id.in_(client_ids), Reminder.state.in_(OPEN_STATES), Reminder.rule_id.is_not(None))
        .values(owner_id=owner)
        .execution_options(synchronize_session=False)
    )


def drop_stale_date_reminders(client_ids: list[int]) -> int:
    """Delete open date reminders whose date was removed, moved, or changed kind."""
    rows = db.session.execute(
        sa.select(Reminder.id, Reminder.occurrence, ReminderRule.date_kind,
                  ImportantDate.id, ImportantDate.kind, ImportantDate.month, ImportantDate.day)
        .join(ReminderRule, ReminderRule.id == Reminder.rule_id)
        .outerjoin(ImportantDate, ImportantDate.id == Reminder.important_date_id)
        .where(Reminder.client_id.in_(client_ids), Reminder.state.in_(OPEN_STATES),
               Reminder.kind.in_(DATE_KINDS), ReminderRule.trigger == "date")
    ).all()
    stale = []
    for reminder_id, occurrence, rule_kind, date_id, kind, month, day in rows:
        if date_id is None or (rule_kind and kind != rule_kind):
            stale.append(reminder_id)
            continue
        try:
            occurs_on = date.fromisoformat(occurrence.rsplit("@", 1)[1])
        except (IndexError, ValueError):
            stale.append(reminder_id)
            continue
        if date_rules.occurrence_in_year(month, day, occurs_on.year) != occurs_on:
            stale.append(reminder_id)
    if stale:
        db.session.execute(sa.delete(Reminder).where(Reminder.id.in_(stale)).execution_options(synchronize_session=False))
    return len(stale)


def close_reminders_of_gone_clients(client_ids: list[int]) -> None:
    """Archived or merged clients: rule reminders go away (they come back if restored); follow-ups are dismissed."""
    gone = sa.select(Client.id).where(
        Client.id.in_(client_ids), sa.or_(Client.archived_at.is_not(None), Client.merged_into_id.is_not(None))
    )
    db.session.execute(
        sa.delete(Reminder).where(Reminder.client_id.in_(gone), Reminder.state.in_(OPEN_STATES),
                                  Reminder.rule_id.is_not(None))
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        sa.update(Reminder).where(Reminder.client_id.in_(gone), Reminder.state.in_(OPEN_STATES))
        .values(state="dismissed", dismiss_reason="Client archived or merged", completed_at=utcnow())
        .execution_options(synchronize_session=False)
    )


IDS_PER_STATEMENT = 500  # no statement may grow with the book (SQLite caps bound variables)


def in_batches(ids: list[int]):
    for start in range(0, len(ids), IDS_PER_STATEMENT):
        yield ids[start:start + IDS_PER_STATEMENT]


def refresh_clients(client_ids: list[int]) -> int:
    if not client_ids:
        return 0
    db.session.flush()
    generated = 0
    for batch in in_batches(client_ids):
        close_reminders_of_gone_clients(batch)
        reassign_open_reminders(batch)
        drop_stale_date_reminders(batch)
        generated += generate_for_clients(batch)
    return generated


# ---- receivers (connected in clientbook.reminders.init_app) -------------------------------

def on_shop_created(sender, **_):
    ensure_default_rules()


def on_client_changed(sender, client_id=None, client_ids=None, **_):
    refresh_clients(_client_ids(client_id, client_ids))


def on_clients_reassigned(sender, client_ids=None, **_):
    """Open rule reminders follow their clients to the new associate: one UPDATE per 500 ids, nothing else."""
    ids = _client_ids(None, client_ids)
    db.session.flush()
    for batch in in_batches(ids):
        reassign_open_reminders(batch)


def on_purchase_recorded(sender, client_id=None, purchase_id=None, client_ids=None, **_):
    ids = _client_ids(client_id, client_ids)
    if not ids:
        return
    db.session.flush()
    for batch in in_batches(ids):
        # A purchase ends a lapse: the "we miss you" call is no longer needed.
        db.session.execute(
            sa.update(Reminder)
            .where(Reminder.client_id.in_(batch), Reminder.kind == "lapsed", Reminder.state.in_(OPEN_STATES))
            .values(state="dismissed", dismiss_reason="Bought again", completed_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        generate_for_clients(batch)


def on_clients_merged(sender, kept_id=None, merged_ids=None, **_):
    merged = _client_ids(None, merged_ids)
    if kept_id is None:
        return
    db.session.flush()
    if merged:
        # Follow-ups someone wrote by hand move to the kept client; rule reminders are regenerated.
        db.session.execute(
            sa.update(Reminder)
            .where(Reminder.client_id.in_(merged), Reminder.rule_id.is_(None), Reminder.state.in_(OPEN_STATES))
            .values(client_id=kept_id)
            .execution_options(synchronize_session=False)
        )
    refresh_clients(_client_ids(kept_id, merged))
