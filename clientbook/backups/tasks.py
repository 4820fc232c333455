"""Upkeep the worker does on its own: the nightly backup (checked every half hour, made once per
shop day from 02:00) and forgetting old one-time form tokens."""
from __future__ import annotations

from huey import crontab

from clientbook.tasks import huey, with_app_context


@huey.periodic_task(crontab(minute="*/30"))
@with_app_context
def nightly_backup():
    from clientbook.backups.nightly import run_nightly_backup

    manifest = run_nightly_backup()
    return manifest.created_at if manifest else None


@huey.periodic_task(crontab(minute="45", hour="*/6"))
@with_app_context
def forget_old_form_tokens():
    from clientbook.extensions import db
    from clientbook.form_tokens import prune_used_tokens

    removed = prune_used_tokens()
    db.session.commit()
    return removed
