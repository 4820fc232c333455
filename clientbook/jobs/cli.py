"""flask --app app export-jobs FILE|-"""
from __future__ import annotations

import csv
import sys

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from clientbook.extensions import db
from clientbook.imports.exporting import neutralise
from clientbook.imports.values import format_cents
from clientbook.models import Client, Job, JobType, Stage, User

COLUMNS = ("id", "client_id", "client_name", "type", "stage", "title", "ticket", "due_on", "value", "deposit",
           "assigned_to", "created_at", "closed_at", "outcome", "description")


def _iso(value) -> str:
    return value.isoformat() if value is not None else ""


def export_rows():
    """Header, then one row per job (oldest first), streamed from one joined query."""
    yield list(COLUMNS)
    rows = db.session.execute(
        sa.select(Job.id, Job.client_id, Client.first_name, Client.last_name, JobType.name, Stage.name, Job.title,
                  Job.ticket, Job.due_on, Job.value_cents, Job.deposit_cents, User.email, Job.created_at,
                  Job.closed_at, Job.outcome, Job.description)
        .join(Client, Client.id == Job.client_id).join(JobType, JobType.id == Job.job_type_id)
        .join(Stage, Stage.id == Job.stage_id).outerjoin(User, User.id == Job.assigned_to_id)
        .order_by(Job.id).execution_options(yield_per=1000)
    )
    for (job_id, client_id, first, last, type_name, stage, title, ticket, due_on, value, deposit, assignee,
         created_at, closed_at, outcome, description) in rows:
        yield [neutralise(cell) for cell in (
            str(job_id), str(client_id), f"{first} {last}".strip(), type_name, stage, title, ticket, _iso(due_on),
            format_cents(value) if value is not None else "", format_cents(deposit or 0), assignee or "",
            _iso(created_at), _iso(closed_at), outcome or "", (description or "").replace("\r", ""),
        )]


def write_jobs(stream) -> int:
    writer = csv.writer(stream, lineterminator="\r\n")
    count = -1
    for count, row in enumerate(export_rows()):
        writer.writerow(row)
    return max(count, 0)


@click.command("export-jobs")
@click.argument("path", metavar="FILE")
@with_appcontext
def export_jobs_command(path: str) -> None:
    """Write every job as UTF-8 CSV to FILE ('-' for standard output)."""
    if path == "-":
        write_jobs(sys.stdout)
        sys.stdout.flush()
        return
    try:
        with open(path, "w", encoding="utf-8", newline="") as stream:
            count = write_jobs(stream)
    except OSError as exc:
        raise click.ClickException(f"Can't write {path}: {exc.strerror or exc}.") from None
    click.echo(f"Exported {count} jobs to {path}.")
