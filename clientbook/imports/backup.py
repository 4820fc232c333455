"""Copy the live database safely while the app runs.

SQLite: the online backup API copies a consistent snapshot page by page, even with
WAL and writers active; a plain file copy could capture a half-written state.
PostgreSQL has its own tool for this (pg_dump).
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupNotPossible(RuntimeError):
    pass


def sqlite_path(database_uri: str) -> Path | None:
    url = make_url(database_uri)
    if url.get_backend_name() != "sqlite":
        return None
    if not url.database or url.database == ":memory:":
        raise BackupNotPossible("An in-memory database can't be backed up.")
    return Path(url.database)


def backup_sqlite(source: Path, target: Path) -> int:
    """Copy `source` into `target` (replaced if it exists); returns the number of pages copied."""
    if not source.exists():
        raise BackupNotPossible(f"There is no database at {source}.")
    if target.resolve() == source.resolve():
        raise BackupNotPossible("Choose a different file than the live database.")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    source_db = sqlite3.connect(str(source))
    target_db = sqlite3.connect(partial)
    try:
        with target_db:
            source_db.backup(target_db, pages=1024)
        pages = target_db.execute("PRAGMA page_count").fetchone()[0]
        # A backup is one self-contained file: no -wal beside it.
        target_db.execute("PRAGMA journal_mode=DELETE")
    finally:
        target_db.close()
        source_db.close()
    partial.replace(target)
    return pages
