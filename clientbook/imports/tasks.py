"""The import itself, run by the Huey worker (or inline in tests), and the sweep that finds dead runs."""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from huey import crontab

from clientbook.extensions import db
from clientbook.imports import runner
from clientbook.imports.client_rows import RowReader
from clientbook.imports.jobs import claim, end, format_for, get_job, plan_for, shop_country, table_for, upload_path
from clientbook.imports.purchases import write_purchases
from clientbook.imports.reading import UnreadableFile, open_rows
from clientbook.models import ImportJob, utcnow
from clientbook.tasks import huey, with_app_context

UNEXPECTED = ("The import stopped because of an unexpected error; nothing was saved. "
              "Try again, and tell us if it keeps happening.")


def problems_for_display(problems) -> list[dict]:
    return [{"row": p.row, "message": p.message, "skipped": p.skipped, "who": getattr(p, "who", "")}
            for p in problems[:runner.MAX_PROBLEMS_KEPT]]


def _heartbeat(job_id: int, **values) -> None:
    db.session.execute(sa.update(ImportJob).where(ImportJob.id == job_id)
                       .values(heartbeat_at=utcnow(), **values).execution_options(synchronize_session=False))
    db.session.commit()


def _count_rows(token: str) -> int:
    with open(upload_path(token), "rb") as stream:
        return sum(1 for _ in open_rows(stream).rows)


def _run_clients(job: ImportJob) -> tuple[dict, list, int]:
    total = _count_rows(job.token)
    _heartbeat(job.id, total=total)
    with open(upload_path(job.token), "rb") as stream:
        rows = open_rows(stream)
        fmt = format_for(job, rows)
        if fmt is None:
            raise UnreadableFile("Choose which column holds what before importing this file.")
        outcome = runner.import_client_rows(
            rows.rows, RowReader(fmt, rows), shop_country(), runner.new_context(fmt, job),
            after_batch=lambda done: _heartbeat(job.id, done=done))
    return outcome.as_dict(), outcome.problems, outcome.problem_count


def _run_purchases(job: ImportJob) -> tuple[dict, list, int]:
    table = table_for(job)
    if table is None:
        raise UnreadableFile("The uploaded file is gone. Upload it again.")
    fmt = format_for(job, table)
    if fmt is None:
        raise UnreadableFile("Choose which column holds what before importing this file.")
    plan = plan_for(job, table, fmt)
    outcome = write_purchases(plan, progress=lambda done, total: None)
    db.session.commit()
    result = {"purchases": outcome.purchases, "items": outcome.items, "skipped": outcome.skipped,
              "clients": len(outcome.client_ids)}
    return result, plan.problems, len(plan.problems)


def run_import(token: str) -> None:
    job = get_job(token)
    # Claimed with one conditional UPDATE: a second delivery of the task, or a second worker, does nothing.
    if job is None or not claim(job.id, ("queued",), "running", worker=runner.this_worker(),
                                heartbeat_at=utcnow(), done=0, total=0, error=""):
        return
    db.session.refresh(job)
    try:
        result, problems, problem_count = (_run_clients if job.kind == "clients" else _run_purchases)(job)
    except Exception as exc:
        db.session.rollback()
        if not isinstance(exc, UnreadableFile):
            current_app.logger.exception("Import %s failed", token)
        runner.undo(job.id)
        end(job, "failed", error=str(exc) if isinstance(exc, UnreadableFile) else UNEXPECTED)
        return
    runner.forget_undo(job.id)
    end(job, "done", result=result, problems=problems_for_display(problems), problem_count=problem_count)


@huey.task()
@with_app_context
def run_import_task(token: str) -> None:
    run_import(token)


@huey.on_startup("clientbook-imports-recover")
def recover_imports_on_start() -> None:
    """A worker that starts finds the imports its dead predecessor left running, and takes them back."""
    from clientbook.tasks import worker_app

    with worker_app().app_context():
        try:
            runner.sweep()
        except Exception:  # never keep the worker from starting; the periodic sweep tries again
            current_app.logger.exception("Import recovery on start-up failed")


@huey.periodic_task(crontab(minute="*"))
@with_app_context
def sweep_imports() -> None:
    runner.sweep()
    runner.clean_up_uploads()
