"""A job's row on Today: who may act on it, and snoozing it off the list until a later day.

Snoozing hides the row only; the job keeps its due day and stage. Moving the job to another
stage clears the snooze (records.move_job): a new stage is a new reason to look at it.
"""
from __future__ import annotations

from datetime import date

from clientbook.models import Job, User


class SnoozeError(ValueError):
    """Bad input for a snooze; the message is shown next to the row."""


def may_act_on(user: User, job: Job) -> bool:
    """Like reminders: managers work every list; associates only the jobs assigned to them."""
    return user.is_manager or (job.assigned_to_id is not None and job.assigned_to_id == user.id)


def snooze(job: Job, until: date | None, today: date) -> None:
    if until is None or until <= today:
        raise SnoozeError("Pick a day after today.")
    job.snoozed_until = until


def unsnooze(job: Job) -> None:
    job.snoozed_until = None
