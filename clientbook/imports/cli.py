"""flask import-clients / import-purchases / export-clients / seed-demo."""
from __future__ import annotations

import secrets
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from clientbook.extensions import db
from clientbook.imports.client_rows import read_clients
from clientbook.imports.demo import DemoRefused, seed_demo
from clientbook.imports.exporting import write_export
from clientbook.shop import current_shop
from clientbook.imports.formats import (
    CLIENT_FIELDS, PURCHASE_FIELDS, detect_client_format, generic_format, guess_mapping, missing_for_clients,
    missing_for_purchases,
)
from clientbook.imports.purchases import plan_purchases, write_purchases
from clientbook.imports import runner
from clientbook.imports.client_rows import RowReader
from clientbook.imports.reading import RowStream, Table, UnreadableFile, check_rows, open_rows, read_table
from clientbook.imports.writing import plan_clients
from clientbook.models import ImportJob, utcnow


def _read_table(path: str) -> Table:
    """The file read exactly as the web upload reads it, with the same messages."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise click.ClickException(f"Can't read {path}: {exc.strerror or exc}.") from None
    try:
        return read_table(data)
    except UnreadableFile as exc:
        raise click.ClickException(f"{path}: {exc}") from None


def _check_stream(path: str) -> RowStream:
    """The same checks as _read_table without holding the file: a big import is read as a stream."""
    try:
        with open(path, "rb") as stream:
            return check_rows(stream)
    except OSError as exc:
        raise click.ClickException(f"Can't read {path}: {exc.strerror or exc}.") from None
    except UnreadableFile as exc:
        raise click.ClickException(f"{path}: {exc}") from None


def _country() -> str:
    shop = current_shop()
    if shop is None:
        raise click.ClickException("Set up the shop first (open the app in a browser): phone numbers need its country.")
    return shop.country


def _print_problems(problems) -> None:
    for problem in problems:
        status = "skipped" if problem.skipped else "warning"
        who = f" ({problem.who})" if getattr(problem, "who", "") else ""
        click.echo(f"  row {problem.row}{who}: {status}: {problem.message}")


def _client_format(path: str, table: Table):
    fmt = detect_client_format(table)
    if fmt is None:
        mapping = guess_mapping(table, CLIENT_FIELDS)
        if missing_for_clients(mapping):
            raise click.ClickException(
                f"{path}: not recognised as a client list (no name, email or phone column). "
                f"Columns found: {', '.join(h for h in table.headers if h) or 'none'}.")
        fmt = generic_format(mapping)
        click.echo("Columns: " + ", ".join(f"{name} <- {header}" for name, header in mapping.items()))
    return fmt


@click.command("import-clients")
@click.argument("path", metavar="FILE")
@click.option("--dry-run", is_flag=True, help="Show what would happen; save nothing.")
@with_appcontext
def import_clients_command(path: str, dry_run: bool) -> None:
    """Import clients from a Shopify or Square export, or any CSV with recognisable column names."""
    country = _country()
    table = _read_table(path) if dry_run else _check_stream(path)
    fmt = _client_format(path, table)
    click.echo(f"Format: {fmt.label}")
    if dry_run:
        plan = plan_clients(read_clients(table, fmt, country))
        click.echo(f"Would create: {plan.to_create}")
        click.echo(f"Would merge: {plan.merged} ({plan.merged_into_existing} into existing clients, "
                   f"{plan.duplicates_in_file} duplicates in the file)")
        click.echo(f"Would skip: {plan.skipped}")
        _print_problems(plan.reading.problems)
        click.echo("Dry run: nothing was saved.")
        return
    job = ImportJob(token=secrets.token_urlsafe(24), kind="clients", filename=Path(path).name[:200],
                    state="running", worker=runner.this_worker(), heartbeat_at=utcnow())
    db.session.add(job)
    db.session.commit()
    try:
        with open(path, "rb") as stream:
            rows = open_rows(stream)
            outcome = runner.import_client_rows(rows.rows, RowReader(fmt, rows), country, runner.new_context(fmt, job),
                                                after_batch=lambda done: _beat(job))
    except BaseException as exc:
        db.session.rollback()
        runner.undo(job.id)
        job.state, job.finished_at, job.error = "failed", utcnow(), str(exc)[:500]
        db.session.commit()
        if isinstance(exc, UnreadableFile):
            raise click.ClickException(f"{path}: {exc} Nothing was saved.") from None
        raise
    runner.forget_undo(job.id)
    job.state, job.finished_at, job.result = "done", utcnow(), outcome.as_dict()
    db.session.commit()
    click.echo(f"Created: {outcome.created}")
    click.echo(f"Merged: {outcome.merged}")
    click.echo(f"Skipped: {outcome.skipped}")
    _print_problems(outcome.problems)
    if outcome.problem_count > len(outcome.problems):
        click.echo(f"  ...and {outcome.problem_count - len(outcome.problems)} more.")


def _beat(job: ImportJob) -> None:
    job.heartbeat_at = utcnow()
    db.session.commit()


@click.command("import-purchases")
@click.argument("path", metavar="FILE")
@click.option("--dry-run", is_flag=True, help="Show what would happen; save nothing.")
@with_appcontext
def import_purchases_command(path: str, dry_run: bool) -> None:
    """Import purchases (client email/phone/POS id, date, item, category, amount...) from a CSV."""
    country = _country()
    table = _read_table(path)
    mapping = guess_mapping(table, PURCHASE_FIELDS)
    missing = missing_for_purchases(mapping)
    if missing:
        raise click.ClickException(f"{path}: not recognised as a purchase list. {missing.replace('Choose', 'Needs')} "
                                   f"Columns found: {', '.join(h for h in table.headers if h) or 'none'}.")
    plan = plan_purchases(table, generic_format(mapping), country)
    if not dry_run:
        write_purchases(plan)
        db.session.commit()
    click.echo("Columns: " + ", ".join(f"{name} <- {header}" for name, header in mapping.items()))
    click.echo(f"{'Would create' if dry_run else 'Created'}: {len(plan.purchases)} purchases "
               f"({plan.items} items) for {plan.clients} clients")
    click.echo(f"{'Would skip' if dry_run else 'Skipped'}: {plan.skipped}")
    _print_problems(plan.problems)
    if dry_run:
        click.echo("Dry run: nothing was saved.")


@click.command("export-clients")
@click.argument("path", metavar="FILE")
@click.option("--include-archived", is_flag=True, help="Also export archived clients.")
@with_appcontext
def export_clients_command(path: str, include_archived: bool) -> None:
    """Write every client as UTF-8 CSV to FILE ('-' for standard output)."""
    if path == "-":
        count = write_export(sys.stdout, include_archived)
        sys.stdout.flush()
    else:
        try:
            with open(path, "w", encoding="utf-8", newline="") as stream:
                count = write_export(stream, include_archived)
        except OSError as exc:
            raise click.ClickException(f"Can't write {path}: {exc.strerror or exc}.") from None
        click.echo(f"Exported {count} clients to {path}.")


@click.command("seed-demo")
@click.option("--force", is_flag=True, help="Add the demo clients even if the book already has clients.")
@with_appcontext
def seed_demo_command(force: bool) -> None:
    """Load a realistic demo book (60 clients with purchases, dates, preferences)."""
    try:
        summary = seed_demo(force=force)
    except DemoRefused as exc:
        raise click.ClickException(f"{exc} Use --force to add it anyway.") from None
    db.session.commit()
    click.echo(f"Demo book loaded: {summary.clients} clients, {summary.purchases} purchases, {summary.dates} dates.")


COMMANDS = (import_clients_command, import_purchases_command, export_clients_command, seed_demo_command)
