"""flask backup FILE / flask restore FILE."""
from __future__ import annotations

from pathlib import Path

import click
from alembic.script import ScriptDirectory
from flask import current_app
from flask.cli import with_appcontext

from clientbook.backups.archive import BackupNotPossible, restore_backup, sqlite_path, write_backup
from clientbook.extensions import db

PG_DUMP_HINT = ("This install uses PostgreSQL: back it up with pg_dump, e.g. "
                "pg_dump --format=custom --file=clientbook.dump DATABASE_URL")


def _live_database() -> Path | None:
    try:
        return sqlite_path(current_app.config["SQLALCHEMY_DATABASE_URI"])
    except BackupNotPossible as exc:
        raise click.ClickException(str(exc)) from None


@click.command("backup")
@click.argument("path", metavar="FILE")
@with_appcontext
def backup_command(path: str) -> None:
    """Write the database, secret key and photos to FILE (a zip) while the app runs."""
    source = _live_database()
    if source is None:
        click.echo(PG_DUMP_HINT)
        return
    try:
        manifest = write_backup(source, Path(current_app.instance_path), Path(path))
    except BackupNotPossible as exc:
        raise click.ClickException(str(exc)) from None
    size = Path(path).stat().st_size
    click.echo(f"Backed up {source.name}, the secret key and {manifest.media_files} photo file(s) to {path} "
               f"({size / 1_000_000:.1f} MB); integrity check ok.")


@click.command("restore")
@click.argument("path", metavar="FILE", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Don't ask for confirmation.")
@with_appcontext
def restore_command(path: str, yes: bool) -> None:
    """Put a backup made by `flask backup` (or the nightly one) in place of the current data.

    The current database, key and photos are kept aside in instance/before-restore/.
    """
    live = _live_database()
    if live is None:
        raise click.ClickException("This install uses PostgreSQL: restore with pg_restore.")
    if not yes:
        click.confirm(f"Replace the data in {current_app.instance_path} with {path}? "
                      "(The current data is kept aside.)", abort=True)
    migrations = current_app.extensions["migrate"].directory
    known = {script.revision for script in ScriptDirectory(migrations).walk_revisions()}
    db.session.remove()
    db.engine.dispose()  # this process lets go of the old file before it moves
    try:
        restored = restore_backup(Path(path), live, Path(current_app.instance_path), known)
    except BackupNotPossible as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Restored the backup made {restored.manifest['created_at']}. The previous data is in "
               f"{restored.kept_aside}.")
    click.echo("Restart Clientbook (stop `make run` with Ctrl-C and start it again) so every part uses it; "
               "the database is brought up to date as it starts.")


COMMANDS = (backup_command, restore_command)
