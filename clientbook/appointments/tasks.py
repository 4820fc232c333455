"""The worker's clock for appointments: client reminders 24 h / 2 h before (ids only, app context)."""
from __future__ import annotations

from huey import crontab

from clientbook.tasks import huey, with_app_context


@huey.periodic_task(crontab(minute="*/5"))
@with_app_context
def appointment_reminders_task() -> dict:
    from clientbook.appointments.reminders import send_due_reminders

    return send_due_reminders()
