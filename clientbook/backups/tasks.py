"""The worker's nightly backup (checked every half hour: made once per shop day, from 02:00)."""
from __future__ import annotations

from huey import crontab

from clientbook.tasks import huey, with_app_context


@huey.periodic_task(crontab(minute="*/30"))
@with_app_context
def nightly_backup():
    from clientbook.backups.nightly import run_nightly_backup

    manifest = run_nightly_backup()
    return manifest.created_at if manifest else None
