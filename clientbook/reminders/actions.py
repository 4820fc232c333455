"""What people do with a reminder: done, snooze, dismiss, reassign, undo, add a follow-up."""
from __future__ import annotations

import secrets
from datetime import date

from clientbook.extensions import db
from clientbook.models import Reminder, User, utcnow
from clientbook.models.reminders import DISMISS_REASONS, REMINDER_OUTCOMES


class ActionError(ValueError):
    """Bad input for an action; the message is shown to the person."""


def may_act_on(user: User, reminder: Reminder) -> bool:
    """Managers work every list and the shop queue; associates only their own reminders."""
    return user.is_manager or (reminder.owner_id is not None and reminder.owner_id == user.id)


def complete(reminder: Reminder, outcome: str, by: User, today: date) -> None:
    if outcome not in REMINDER_OUTCOMES:
        raise ActionError("Choose how you reached out.")
    reminder.state = "done"
    reminder.outcome = outcome
    reminder.completed_at = utcnow()
    reminder.completed_on = today
    reminder.completed_by_id = by.id
    reminder.dismiss_reason = None


def snooze(reminder: Reminder, until: date | None, today: date) -> None:
    if until is None or until <= today:
        raise ActionError("Pick a day after today.")
    reminder.state = "snoozed"
    reminder.snoozed_until = until


def dismiss(reminder: Reminder, reason: str, by: User, today: date, note: str = "") -> None:
    if reason not in DISMISS_REASONS:
        raise ActionError("Choose a reason.")
    text = DISMISS_REASONS[reason]
    if note.strip():
        text = f"{text}: {note.strip()[:150]}"
    reminder.state = "dismissed"
    reminder.dismiss_reason = text
    reminder.completed_at = utcnow()
    reminder.completed_on = today
    reminder.completed_by_id = by.id


def reopen(reminder: Reminder) -> None:
    """Undo done/snooze/dismiss: back on the list as it was."""
    reminder.state = "open"
    reminder.snoozed_until = None
    reminder.outcome = None
    reminder.dismiss_reason = None
    reminder.completed_at = None
    reminder.completed_on = None
    reminder.completed_by_id = None


def reassign(reminder: Reminder, owner: User | None) -> None:
    if owner is not None and not owner.active:
        raise ActionError("That person can't sign in any more.")
    reminder.owner_id = owner.id if owner else None


def add_follow_up(client_id: int, reason: str, due_date: date, owner_id: int | None, by: User) -> Reminder:
    reminder = Reminder(
        rule_id=None, client_id=client_id, occurrence=f"m{secrets.token_hex(8)}", kind="manual",
        reason=reason.strip(), due_date=due_date, owner_id=owner_id, state="open", created_by_id=by.id,
    )
    db.session.add(reminder)
    return reminder
