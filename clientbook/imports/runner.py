"""Running a client import in batches of short transactions, and taking it back when it fails.

The file is read a batch of rows at a time (bounded memory, whatever its size); each
batch is matched against the book, written and committed on its own, so staff saves
never wait behind the import for long. Every write is logged in ImportUndo: if the
import fails, or its process dies (found by `sweep`), `undo` removes what it added
and restores what it changed, so for the person who clicked it is all or nothing.
"""
from __future__ import annotations

import itertools
import os
import socket
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from clientbook.extensions import db
from clientbook.imports.client_rows import ClientReading, Problem, RowReader, read_client_rows
from clientbook.imports.formats import Format
from clientbook.imports.writing import IN_LIST, ImportContext, chunks, plan_clients, write_clients
from clientbook.models import (
    Client, ClientExternalId, ClientTag, ImportantDate, ImportJob, ImportUndo, Note, utcnow,
)
from clientbook.search_index import refresh_search_tokens
from clientbook.shop import shop_today
from clientbook.signals import client_changed

BATCH_ROWS = 500  # rows per transaction: a few tens of milliseconds of write lock each
HEARTBEAT_TIMEOUT = timedelta(minutes=5)  # a run that hasn't moved for this long is dead
MAX_PROBLEMS_KEPT = 500


def this_worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class ClientRunResult:
    created: int = 0
    merged: int = 0
    skipped: int = 0
    problems: list[Problem] = field(default_factory=list)  # the first MAX_PROBLEMS_KEPT
    problem_count: int = 0

    def as_dict(self) -> dict:
        return {"created": self.created, "merged": self.merged, "skipped": self.skipped}


def _batches(rows: Iterable, size: int) -> Iterator[list]:
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def import_client_rows(numbered_rows: Iterable[tuple[int, list[str]]], reader: RowReader, country: str,
                       context: ImportContext, author_id: int | None = None,
                       after_batch: Callable[[int], None] | None = None) -> ClientRunResult:
    """Read, match and write a client file batch by batch, committing after each batch."""
    result = ClientRunResult()
    problems: list[Problem] = []
    rows_done = 0
    for raw in _batches(numbered_rows, current_app.config.get("IMPORT_BATCH_ROWS", BATCH_ROWS)):
        rows = list(read_client_rows(raw, reader, country, problems))
        reading = ClientReading(format=reader.fmt, rows=rows, problems=problems, total_rows=len(raw))
        if rows:
            plan = plan_clients(reading)
            written = write_clients(plan, author_id=author_id, context=context)
            result.created += written.created
            result.merged += plan.merged
        rows_done += len(raw)
        db.session.commit()
        result.problem_count += len(problems)
        result.skipped += len({p.row for p in problems if p.skipped})
        room = MAX_PROBLEMS_KEPT - len(result.problems)
        result.problems.extend(problems[:max(room, 0)])
        problems.clear()
        if after_batch:
            after_batch(rows_done)
    return result


def new_context(fmt: Format, job: ImportJob | None) -> ImportContext:
    return ImportContext(source=fmt.consent_source, today=shop_today(), job_id=job.id if job else None,
                         assign_to_id=job.assign_to_id if job else None, checkpoint=db.session.commit)


# ---- taking a failed import back -------------------------------------------------------------------

_DETAILS = {
    "client_tag": (ClientTag, ("tag",)),
    "client_external_id": (ClientExternalId, ("source", "value")),
    "important_date": (ImportantDate, ("kind",)),
    "note": (Note, ("body",)),
}


def _client_children() -> list[tuple[sa.Table, sa.Column]]:
    """Every (table, column) that points at a client, children first, so new clients can be deleted."""
    found = []
    for table in reversed(db.metadata.sorted_tables):
        for fk in table.foreign_keys:
            if fk.column.table is Client.__table__ and table is not Client.__table__:
                found.append((table, fk.parent))
    return found


def undo(job_id: int) -> None:
    """Remove what an unfinished import added and restore what it changed; commits in short batches."""
    entries = sa.select(ImportUndo.table_name, ImportUndo.row_id, ImportUndo.before).where(ImportUndo.job_id == job_id)
    created = list(db.session.scalars(
        sa.select(ImportUndo.row_id).where(ImportUndo.job_id == job_id, ImportUndo.table_name == "client",
                                           ImportUndo.before.is_(None)).order_by(ImportUndo.row_id)))
    for batch in chunks(created, IN_LIST):
        for table, column in _client_children():
            db.session.execute(table.delete().where(column.in_(batch)))
        db.session.execute(sa.update(Client).where(Client.merged_into_id.in_(batch)).values(merged_into_id=None)
                           .execution_options(synchronize_session=False))
        db.session.execute(sa.delete(Client).where(Client.id.in_(batch)).execution_options(synchronize_session=False))
        db.session.commit()

    restored: list[int] = []
    details = db.session.execute(entries.where(ImportUndo.table_name != "client").order_by(ImportUndo.id)).all()
    for batch in chunks(details, IN_LIST):
        for table_name, client_id, before in batch:
            model, keys = _DETAILS[table_name]
            db.session.execute(sa.delete(model).where(
                model.client_id == client_id, *(getattr(model, key) == before[key] for key in keys)
            ).execution_options(synchronize_session=False))
        db.session.commit()
    snapshots = db.session.execute(entries.where(ImportUndo.table_name == "client", ImportUndo.before.is_not(None))
                                   .order_by(ImportUndo.id)).all()
    for batch in chunks(snapshots, IN_LIST):
        db.session.execute(sa.update(Client), [{"id": client_id, **_from_snapshot(before)}
                                              for _name, client_id, before in batch])
        restored.extend(client_id for _name, client_id, _before in batch)
        db.session.commit()
    touched = sorted(set(restored) | {client_id for _name, client_id, _before in details})
    for batch in chunks(touched, IN_LIST):
        refresh_search_tokens(batch)
        client_changed.send(current_app._get_current_object(), client_ids=batch)
        db.session.commit()
    db.session.execute(sa.delete(ImportUndo).where(ImportUndo.job_id == job_id))
    db.session.commit()


_DATETIMES = {"email_opt_in_at", "sms_opt_in_at", "updated_at"}


def _from_snapshot(before: dict) -> dict:
    values = dict(before)
    for name in _DATETIMES:
        if values.get(name):
            values[name] = datetime.fromisoformat(values[name])
    if values.get("prior_as_of"):
        values["prior_as_of"] = datetime.fromisoformat(values["prior_as_of"]).date()
    values.pop("id", None)
    return values


def forget_undo(job_id: int) -> None:
    """The import ended well: its undo log is no longer needed."""
    db.session.execute(sa.delete(ImportUndo).where(ImportUndo.job_id == job_id))
    db.session.commit()


# ---- finding runs whose process died ------------------------------------------------------------------

def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def is_dead(job: ImportJob, now: datetime | None = None) -> bool:
    """Its process is gone (same machine), or it hasn't moved for HEARTBEAT_TIMEOUT (anywhere)."""
    host, _, pid = (job.worker or "").rpartition(":")
    if host == socket.gethostname() and pid.isdigit() and int(pid) != os.getpid() and not _process_alive(int(pid)):
        return True
    last = job.heartbeat_at or job.created_at
    return last is not None and (now or utcnow()) - last > HEARTBEAT_TIMEOUT


STOPPED_MESSAGE = ("The import was interrupted (the server stopped or restarted) and has been taken back: "
                   "nothing from this file was saved. Try again.")


def sweep() -> int:
    """Fail and undo every running import whose process died; returns how many. Safe to run anywhere, any time."""
    stuck = db.session.scalars(sa.select(ImportJob).where(ImportJob.state.in_(("queued", "running")))).all()
    failed = 0
    for job in stuck:
        if not is_dead(job):
            continue  # still moving, or queued and not yet picked up
        # Claim it first, so two sweepers never undo the same run.
        claimed = db.session.execute(
            sa.update(ImportJob).where(ImportJob.id == job.id, ImportJob.state == job.state,
                                       ImportJob.worker == job.worker)
            .values(state="failed", error=STOPPED_MESSAGE, finished_at=utcnow(), worker=this_worker())
            .execution_options(synchronize_session=False)).rowcount == 1
        db.session.commit()
        if claimed:
            undo(job.id)
            failed += 1
    return failed


def clean_up_uploads(older_than: timedelta = timedelta(days=1)) -> None:
    """Uploads of ended imports, uploads nobody confirmed or retried within a day, and files no job knows go."""
    from clientbook.imports.jobs import uploads_dir

    cutoff = utcnow() - older_than
    db.session.execute(sa.update(ImportJob).where(ImportJob.state == "uploaded", ImportJob.created_at < cutoff)
                       .values(state="cancelled", finished_at=utcnow()).execution_options(synchronize_session=False))
    db.session.commit()
    keep = set(db.session.scalars(sa.select(ImportJob.token).where(sa.or_(
        ImportJob.state.in_(("uploaded", "queued", "running")),
        sa.and_(ImportJob.state == "failed", ImportJob.finished_at > cutoff)))))
    for path in uploads_dir().iterdir():
        if path.name.split(".")[0] not in keep:
            path.unlink(missing_ok=True)
