"""The worker's nightly backup into instance/backups/, kept 7 days and 4 weeks, and what the
owner sees about it in Settings."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from flask import current_app

from clientbook.backups.archive import BackupNotPossible, Manifest, sqlite_path, write_backup
from clientbook.extensions import db
from clientbook.models import utcnow
from clientbook.shop import shop_now

KEEP_DAILY = 7
KEEP_WEEKLY = 4
NIGHT_HOUR = 2  # shop-local hour from which today's backup is made (or at the first chance after)
STALE_AFTER = timedelta(days=2)
NAME = re.compile(r"^clientbook-(\d{4}-\d{2}-\d{2})\.zip$")


def backup_folder() -> Path:
    return Path(current_app.instance_path) / "backups"


def dated_backups(folder: Path) -> list[tuple[date, Path]]:
    """The nightly backups in `folder`, newest first (other files there are left alone)."""
    found = []
    for path in folder.glob("clientbook-*.zip") if folder.is_dir() else []:
        match = NAME.match(path.name)
        if match:
            found.append((date.fromisoformat(match[1]), path))
    return sorted(found, reverse=True)


def to_keep(days: list[date]) -> set[date]:
    """The newest KEEP_DAILY days, plus the newest day of each of the KEEP_WEEKLY newest weeks."""
    newest_first = sorted(set(days), reverse=True)
    keep = set(newest_first[:KEEP_DAILY])
    weeks_seen: list[tuple[int, int]] = []
    for day in newest_first:
        week = day.isocalendar()[:2]
        if week not in weeks_seen:
            weeks_seen.append(week)
            if len(weeks_seen) <= KEEP_WEEKLY:
                keep.add(day)
    return keep


def rotate(folder: Path) -> list[Path]:
    backups = dated_backups(folder)
    keep = to_keep([day for day, _ in backups])
    removed = [path for day, path in backups if day not in keep]
    for path in removed:
        path.unlink(missing_ok=True)
    return removed


def run_nightly_backup(now_utc: datetime | None = None) -> Manifest | None:
    """Make today's backup if it is due and not made yet; rotate. None when there was nothing to do."""
    source = sqlite_path(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if source is None:
        return None  # PostgreSQL: pg_dump's schedule, see README
    local = shop_now(now_utc)
    day = local.date()
    folder = backup_folder()
    if local.hour < NIGHT_HOUR or any(made == day for made, _ in dated_backups(folder)):
        return None
    db.session.rollback()  # hold no transaction while copying
    manifest = write_backup(source, Path(current_app.instance_path), folder / f"clientbook-{day.isoformat()}.zip")
    rotate(folder)
    return manifest


@dataclass
class BackupStatus:
    last_at: datetime | None
    size_bytes: int
    stale: bool
    postgres: bool


def backup_status(now_utc: datetime | None = None) -> BackupStatus:
    """The newest backup in instance/backups/ (nightly or made by hand there)."""
    if sqlite_path(current_app.config["SQLALCHEMY_DATABASE_URI"]) is None:
        return BackupStatus(None, 0, False, True)
    folder = backup_folder()
    files = [path for path in folder.glob("*.zip")] if folder.is_dir() else []
    if not files:
        return BackupStatus(None, 0, True, False)
    newest = max(files, key=lambda path: path.stat().st_mtime)
    made = datetime.fromtimestamp(newest.stat().st_mtime, timezone.utc).replace(tzinfo=None)
    return BackupStatus(made, newest.stat().st_size, (now_utc or utcnow()) - made > STALE_AFTER, False)


__all__ = ["run_nightly_backup", "rotate", "to_keep", "backup_status", "BackupNotPossible"]
