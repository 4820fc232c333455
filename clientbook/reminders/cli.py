"""`flask reminders due --on DAY` (what the rules call for, read-only) and `flask reminders run`."""
from __future__ import annotations

import csv
import sys
from datetime import date, datetime

import click
from flask.cli import AppGroup

reminders_cli = AppGroup("reminders", help="Reminder rules and the daily generation.")

DUE_COLUMNS = ("date", "client_id", "client_name", "kind", "reason", "assigned_to")


class DayParam(click.ParamType):
    name = "YYYY-MM-DD"

    def convert(self, value, param, ctx):
        if isinstance(value, date):
            return value
        try:
            return datetime.strptime(value, "%Y-%m-%d").date()
        except ValueError:
            self.fail(f"{value!r} is not a date like 2026-12-05.", param, ctx)


def _csv_safe(value):
    # Spreadsheets run cells starting with = + - @ as formulas.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


@reminders_cli.command("due")
@click.option("--on", "day", type=DayParam(), required=True, help="The day to check.")
def due_command(day: date):
    """Print, as CSV, the reminders current rules call for on a day. Creates and sends nothing."""
    from clientbook.reminders.generation import due_on

    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(DUE_COLUMNS)
    for row in due_on(day):
        writer.writerow([_csv_safe(row[column]) for column in DUE_COLUMNS])


@reminders_cli.command("run")
@click.option("--on", "day", type=DayParam(), default=None,
              help="Generate for this day (default: today in the shop, catching up missed days).")
def run_command(day: date | None):
    """Run reminder generation once and print how many reminders were created."""
    from clientbook.reminders.generation import run_generation, run_scheduled_generation

    created = run_generation(day) if day else run_scheduled_generation(force=True)
    if created is None:
        raise click.ClickException("Set up the shop first (open the app in a browser).")
    click.echo(f"{created} reminder{'s' if created != 1 else ''} created")
