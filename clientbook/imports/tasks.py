"""The import itself, run by the Huey worker (or inline in tests) in one transaction."""
from __future__ import annotations

from flask import current_app

from clientbook.extensions import db
from clientbook.imports.jobs import delete_upload, format_for, load_job, plan_for, table_for, update_job
from clientbook.imports.purchases import write_purchases
from clientbook.imports.reading import UnreadableFile
from clientbook.imports.writing import write_clients
from clientbook.tasks import huey, with_app_context

MAX_PROBLEMS_KEPT = 500


def problems_for_display(problems) -> list[dict]:
    return [{"row": p.row, "message": p.message, "skipped": p.skipped} for p in problems[:MAX_PROBLEMS_KEPT]]


def run_import(token: str) -> None:
    job = load_job(token)
    if job is None or job["state"] != "queued":
        return  # already ran, or cancelled: running twice must never import twice
    update_job(token, state="running", done=0, total=0)
    try:
        table = table_for(token)
        if table is None:
            raise UnreadableFile("The uploaded file is gone. Upload it again.")
        fmt = format_for(job, table)
        plan = plan_for(job, table, fmt)

        def progress(done: int, total: int) -> None:
            update_job(token, done=done, total=total)

        if job["kind"] == "clients":
            outcome = write_clients(plan, author_id=job["user_id"], progress=progress)
            result = {"created": outcome.created, "merged": outcome.merged, "skipped": outcome.skipped}
            problems = plan.reading.problems
        else:
            outcome = write_purchases(plan, progress=progress)
            result = {"purchases": outcome.purchases, "items": outcome.items, "skipped": outcome.skipped,
                      "clients": len(outcome.client_ids)}
            problems = plan.problems
        db.session.commit()
        update_job(token, state="done", result=result, problems=problems_for_display(problems),
                   problem_count=len(problems))
    except UnreadableFile as exc:
        db.session.rollback()
        update_job(token, state="failed", error=str(exc))
    except Exception:
        db.session.rollback()
        current_app.logger.exception("Import %s failed", token)
        update_job(token, state="failed", error="The import stopped because of an unexpected error; nothing was "
                                                "saved. Try again, and tell us if it keeps happening.")
    finally:
        delete_upload(token)


@huey.task()
@with_app_context
def run_import_task(token: str) -> None:
    run_import(token)
