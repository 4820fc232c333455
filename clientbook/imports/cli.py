"""flask import-clients / import-purchases / export-clients / seed-demo."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from clientbook.auth import current_shop
from clientbook.extensions import db
from clientbook.imports.client_rows import read_clients
from clientbook.imports.demo import DemoRefused, seed_demo
from clientbook.imports.exporting import write_export
from clientbook.imports.formats import (
    CLIENT_FIELDS, PURCHASE_FIELDS, detect_client_format, generic_format, guess_mapping, missing_for_clients,
    missing_for_purchases,
)
from clientbook.imports.purchases import plan_purchases, write_purchases
from clientbook.imports.reading import Table, UnreadableFile, parse
from clientbook.imports.writing import plan_clients, write_clients


def _read_table(path: str) -> Table:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise click.ClickException(f"Can't read {path}: {exc.strerror or exc}.") from None
    try:
        return parse(data)
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
        click.echo(f"  row {problem.row}: {status}: {problem.message}")


@click.command("import-clients")
@click.argument("path", metavar="FILE")
@click.option("--dry-run", is_flag=True, help="Show what would happen; save nothing.")
@with_appcontext
def import_clients_command(path: str, dry_run: bool) -> None:
    """Import clients from a Shopify or Square export, or any CSV with recognisable column names."""
    country = _country()
    table = _read_table(path)
    fmt = detect_client_format(table)
    if fmt is None:
        mapping = guess_mapping(table, CLIENT_FIELDS)
        if missing_for_clients(mapping):
            raise click.ClickException(
                f"{path}: not recognised as a client list (no name, email or phone column). "
                f"Columns found: {', '.join(h for h in table.headers if h) or 'none'}.")
        fmt = generic_format(mapping)
        click.echo("Columns: " + ", ".join(f"{name} <- {header}" for name, header in mapping.items()))
    plan = plan_clients(read_clients(table, fmt, country))
    if not dry_run:
        write_clients(plan)
        db.session.commit()
    verb = "Would create" if dry_run else "Created"
    click.echo(f"Format: {fmt.label}")
    click.echo(f"{verb}: {plan.to_create}")
    click.echo(f"{'Would merge' if dry_run else 'Merged'}: {plan.merged} "
               f"({plan.merged_into_existing} into existing clients, {plan.duplicates_in_file} duplicates in the file)")
    click.echo(f"{'Would skip' if dry_run else 'Skipped'}: {plan.skipped}")
    _print_problems(plan.reading.problems)
    if dry_run:
        click.echo("Dry run: nothing was saved.")


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
