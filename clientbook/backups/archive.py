"""A backup is the whole instance that matters in one file: a zip with the database (a consistent
online copy), the secret key (so sessions and unsubscribe links survive a restore), the photos
under instance/media/, and a manifest saying when and from which schema it was made.

SQLite's `VACUUM INTO` copies a consistent snapshot in one step while staff keep writing (a
page-by-page backup restarts whenever someone writes and may never finish). Every file is
written beside its destination and renamed into place, so a failed backup leaves nothing behind.
PostgreSQL has its own tool for this (pg_dump).
"""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy.engine import make_url

from clientbook.instance_files import FILE_MODE, describe_os_error, private_folder

DATABASE_NAME = "clientbook.sqlite3"
MANIFEST_NAME = "manifest.json"
KEY_NAME = "secret_key"
MEDIA_FOLDER = "media"
FORMAT = "clientbook-backup/1"


class BackupNotPossible(RuntimeError):
    pass


@dataclass
class Manifest:
    created_at: str
    schema_revision: str | None
    database_bytes: int
    media_files: int


def sqlite_path(database_uri: str) -> Path | None:
    url = make_url(database_uri)
    if url.get_backend_name() != "sqlite":
        return None
    if not url.database or url.database == ":memory:":
        raise BackupNotPossible("An in-memory database can't be backed up.")
    return Path(url.database)


def integrity_problem(database: Path) -> str | None:
    """None when SQLite's own full check finds nothing wrong, else what it found."""
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        rows = [row[0] for row in connection.execute("PRAGMA integrity_check")]
    except sqlite3.DatabaseError as exc:
        return str(exc)
    finally:
        connection.close()
    return None if rows == ["ok"] else "; ".join(rows[:3])


def schema_revision(database: Path) -> str | None:
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        return connection.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    except (sqlite3.DatabaseError, TypeError):
        return None
    finally:
        connection.close()


def copy_database(source: Path, target: Path) -> None:
    """A consistent copy of the live database in one step, as a single file (no -wal)."""
    connection = sqlite3.connect(str(source), timeout=30)
    try:
        connection.execute("VACUUM INTO ?", (str(target),))
    finally:
        connection.close()


def write_backup(source: Path, instance: Path, target: Path) -> Manifest:
    """Write the backup zip to `target` (replaced if it exists); raises BackupNotPossible in words."""
    if not source.exists():
        raise BackupNotPossible(f"There is no database at {source}.")
    target = target.resolve()
    if target in (source.resolve(), *(source.resolve().with_name(source.name + end) for end in ("-wal", "-shm"))):
        raise BackupNotPossible("Choose a different file than the live database.")
    try:
        private_folder(target.parent)
        with tempfile.TemporaryDirectory(dir=target.parent, prefix=".backup-") as work:
            copy = Path(work) / DATABASE_NAME
            copy_database(source, copy)
            problem = integrity_problem(copy)
            if problem:
                raise BackupNotPossible(f"The live database failed its integrity check ({problem}); "
                                        "the backup was not written. Keep the previous backups.")
            media = sorted(path for path in (instance / MEDIA_FOLDER).rglob("*") if path.is_file()) \
                if (instance / MEDIA_FOLDER).is_dir() else []
            manifest = Manifest(created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                                schema_revision=schema_revision(copy), database_bytes=copy.stat().st_size,
                                media_files=len(media))
            partial = Path(work) / "backup.zip"
            with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
                archive.writestr(MANIFEST_NAME, json.dumps({"format": FORMAT, **manifest.__dict__}, indent=2))
                archive.write(copy, DATABASE_NAME)
                if (instance / KEY_NAME).exists():
                    archive.write(instance / KEY_NAME, KEY_NAME)
                for path in media:  # photos are compressed already
                    archive.write(path, path.relative_to(instance).as_posix(), compress_type=zipfile.ZIP_STORED)
            with open(partial, "rb+") as handle:
                os.fsync(handle.fileno())
            partial.chmod(FILE_MODE)
            partial.replace(target)
    except sqlite3.DatabaseError as exc:
        raise BackupNotPossible(f"The database could not be copied: {exc}.") from exc
    except OSError as exc:
        raise BackupNotPossible(describe_os_error(exc, target)) from exc
    return manifest


# ---- restore -----------------------------------------------------------------------------------

@dataclass
class Restored:
    manifest: dict
    kept_aside: Path


def read_manifest(archive: zipfile.ZipFile) -> dict:
    try:
        manifest = json.loads(archive.read(MANIFEST_NAME))
    except (KeyError, ValueError) as exc:
        raise BackupNotPossible("This is not a Clientbook backup (it has no manifest).") from exc
    if manifest.get("format") != FORMAT or DATABASE_NAME not in archive.namelist():
        raise BackupNotPossible("This is not a Clientbook backup this version can read.")
    return manifest


def restore_backup(backup: Path, live: Path, instance: Path, known_revisions: set[str]) -> Restored:
    """Check `backup`, keep the current database, key and media aside, then put the backup's in place.

    Refuses (BackupNotPossible, changing nothing) a file that is not a backup, fails its integrity
    check, or comes from a newer version of Clientbook than this one.
    """
    try:
        archive = zipfile.ZipFile(backup)
    except (OSError, zipfile.BadZipFile) as exc:
        raise BackupNotPossible(f"{backup} can't be read as a backup: {exc}.") from exc
    with archive, tempfile.TemporaryDirectory(dir=instance, prefix=".restore-") as work:
        manifest = read_manifest(archive)
        for name in archive.namelist():
            if name.startswith("/") or ".." in Path(name).parts:
                raise BackupNotPossible("This backup contains an unsafe file name; it was not restored.")
        archive.extractall(work)
        unpacked = Path(work)
        problem = integrity_problem(unpacked / DATABASE_NAME)
        if problem:
            raise BackupNotPossible(f"The database in this backup is damaged ({problem}); nothing was changed.")
        revision = schema_revision(unpacked / DATABASE_NAME)
        if revision is not None and revision not in known_revisions:
            raise BackupNotPossible(
                f"This backup comes from a newer version of Clientbook (schema {revision}). "
                "Update Clientbook first, then restore it; nothing was changed.")
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
        aside = private_folder(instance / "before-restore" / stamp)
        # The old database goes aside with its -wal/-shm, so no stale log is replayed into the new one.
        for name in (live.name, live.name + "-wal", live.name + "-shm"):
            if (live.parent / name).exists():
                shutil.move(str(live.parent / name), aside / name)
        for name in (KEY_NAME, MEDIA_FOLDER):
            if (instance / name).exists() and (unpacked / name).exists():
                shutil.move(str(instance / name), aside / name)
        shutil.move(str(unpacked / DATABASE_NAME), live)
        for name in (KEY_NAME, MEDIA_FOLDER):
            if (unpacked / name).exists():
                shutil.move(str(unpacked / name), instance / name)
    return Restored(manifest=manifest, kept_aside=aside)
