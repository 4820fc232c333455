"""Huey tasks for outreach. They take ids and run inside an app context (see clientbook.tasks)."""
from __future__ import annotations

import logging

from huey import crontab

from clientbook import signals
from clientbook.models import utcnow
from clientbook.tasks import huey, with_app_context

log = logging.getLogger(__name__)


@huey.task()
@with_app_context
def send_message_task(message_id: int) -> str:
    from clientbook.messaging.outbox import deliver

    return deliver(message_id)


def _deliver_when_asked(_sender, message_id: int, eta=None, **_):
    if eta is not None and eta > utcnow():
        send_message_task.schedule((message_id,), eta=eta)
    else:
        send_message_task(message_id)


signals.delivery_requested.connect(_deliver_when_asked)


@huey.task()
@with_app_context
def campaign_tick_task(campaign_id: int) -> None:
    from clientbook.messaging.campaigns import campaign_tick

    delay = campaign_tick(campaign_id)
    if delay is not None:
        campaign_tick_task.schedule((campaign_id,), delay=delay)


def _tick_when_started(_sender, campaign_id: int, **_):
    campaign_tick_task(campaign_id)


signals.campaign_started.connect(_tick_when_started)


@huey.periodic_task(crontab(minute="*"))
@with_app_context
def outbox_sweep_task() -> dict:
    """Every minute: messages whose quiet hours ended, stale sends, campaigns that lost their worker."""
    from clientbook.messaging.outbox import sweep

    return sweep()


@huey.periodic_task(crontab(minute="*/15"))
@with_app_context
def auto_send_task() -> int:
    """Automated messages for reminder rules that have auto-send switched on."""
    from clientbook.messaging.automation import auto_send_due_reminders

    return auto_send_due_reminders()


@huey.on_startup("clientbook-messaging-recover")
def recover_after_restart() -> None:
    """A worker that starts picks up what a killed one left: stale sends, due messages, campaigns."""
    from clientbook.messaging.outbox import sweep
    from clientbook.tasks import worker_app

    with worker_app().app_context():
        try:
            # Every campaign gets a tick chain again: the killed worker's chain may have died with it.
            result = sweep(campaign_stalled_after=0)
            log.info("Outreach recovery on start-up: %s", result)
        except Exception:  # never keep the worker from starting
            log.exception("Outreach recovery on start-up failed")
