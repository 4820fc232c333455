"""Import jobs (upload -> preview -> run) and the undo log that keeps a failed import from leaving rows."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from clientbook.extensions import db
from clientbook.models.core import utcnow

__all__ = ["ImportJob", "ImportUndo", "IMPORT_STATES"]

# uploaded: waiting for a person to preview and confirm; queued -> running -> done | failed;
# cancelled: the person gave up before confirming.
IMPORT_STATES = ("uploaded", "queued", "running", "done", "failed", "cancelled")


class ImportJob(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(16))  # clients | purchases
    filename: Mapped[str] = mapped_column(sa.String(200), default="")
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    # Who imported clients are looked after by; NULL: nobody (the store book).
    assign_to_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    mapping: Mapped[dict | None] = mapped_column(sa.JSON)
    state: Mapped[str] = mapped_column(sa.String(16), default="uploaded", index=True)
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    result: Mapped[dict | None] = mapped_column(sa.JSON)
    problems: Mapped[list | None] = mapped_column(sa.JSON)
    problem_count: Mapped[int] = mapped_column(default=0)
    error: Mapped[str] = mapped_column(sa.Text, default="")
    # Which process runs it ("host:pid") and when it last moved: how a dead run is recognised.
    worker: Mapped[str] = mapped_column(sa.String(120), default="")
    heartbeat_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]

    @property
    def running(self) -> bool:
        return self.state in ("queued", "running")


class ImportUndo(db.Model):
    """One row an unfinished import wrote: inserted (before is NULL, so delete it) or updated (restore before).

    An import commits in short batches so staff keep working while it runs; if it fails or its
    process dies, these rows take the book back to where it was. Cleared when the import ends well.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(sa.ForeignKey("import_job.id", ondelete="CASCADE"), index=True)
    table_name: Mapped[str] = mapped_column(sa.String(40))
    row_id: Mapped[int]
    before: Mapped[dict | None] = mapped_column(sa.JSON(none_as_null=True))
