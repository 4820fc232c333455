"""Huey tasks for reminders (loaded by the consumer): the daily generation and the morning digest.

The periodic tasks wake every 15 minutes and do something only when the shop's local day or
opening time calls for it, so the server's own time zone never matters.
"""
from __future__ import annotations

from datetime import date

from huey import crontab
from huey.exceptions import RetryTask

from clientbook.tasks import huey, with_app_context


@huey.periodic_task(crontab(minute="*/15"))
@with_app_context
def generate_reminders_periodic():
    from clientbook.reminders.generation import run_scheduled_generation

    return run_scheduled_generation()


@huey.task()
@with_app_context
def generate_reminders_now():
    """Run generation for the shop's today now (catching up missed days), even if it already ran."""
    from clientbook.reminders.generation import run_scheduled_generation

    return run_scheduled_generation(force=True)


@huey.periodic_task(crontab(minute="*/15"))
@with_app_context
def send_digests_periodic():
    from clientbook.reminders.digest import recover_stalled_digests, schedule_digests

    claimed = recover_stalled_digests() + schedule_digests()
    for user_id, day in claimed:
        send_digest(user_id, day.isoformat())
    return len(claimed)


@huey.on_startup()
@with_app_context
def recover_digests_on_start():
    """A digest a dead worker left half-sent is picked up as soon as the worker is back."""
    from clientbook.reminders.digest import recover_stalled_digests

    for user_id, day in recover_stalled_digests():
        send_digest(user_id, day.isoformat())


@huey.task()
@with_app_context
def send_digest(user_id: int, day: str):
    from clientbook.reminders.digest import DigestNotSent, deliver_digest, retry_delay

    try:
        return deliver_digest(user_id, date.fromisoformat(day))
    except DigestNotSent as failure:
        if failure.will_retry:
            raise RetryTask(delay=retry_delay(failure.attempts)) from failure
        raise
