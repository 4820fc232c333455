"""Jobs: repairs, custom orders and sales opportunities, their stages, history and photos.

Each kind of job is configuration (a JobType with ordered Stages), not code.
"""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clientbook.extensions import db
from clientbook.models.clients import Client, WishlistItem
from clientbook.models.core import User, utcnow

__all__ = ["JobType", "Stage", "Job", "StageChange", "Photo", "STAGE_OUTCOMES", "SUCCESS_OUTCOMES"]

# What a closing stage means for the job; an open stage has none.
STAGE_OUTCOMES = {
    "collected": "Collected",
    "delivered": "Delivered",
    "won": "Won",
    "lost": "Lost",
    "cancelled": "Cancelled",
}
# Outcomes after which the job can become a purchase on the card.
SUCCESS_OUTCOMES = ("collected", "delivered", "won")


class JobType(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(60), unique=True)
    # Opportunities show value totals per stage on the board.
    is_opportunity: Mapped[bool] = mapped_column(default=False)
    ticket_prefix: Mapped[str] = mapped_column(sa.String(2), default="J")
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    stages: Mapped[list[Stage]] = relationship(
        back_populates="job_type", order_by="(Stage.position, Stage.id)", cascade="all, delete-orphan"
    )

    @property
    def active_stages(self) -> list[Stage]:
        return [s for s in self.stages if s.active]


class Stage(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    job_type_id: Mapped[int] = mapped_column(sa.ForeignKey("job_type.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(60))
    position: Mapped[int] = mapped_column(default=0)
    # NULL while the job is still being worked on; one of STAGE_OUTCOMES when entering it closes the job.
    outcome: Mapped[str | None] = mapped_column(sa.String(16))
    active: Mapped[bool] = mapped_column(default=True)

    job_type: Mapped[JobType] = relationship(back_populates="stages")

    __table_args__ = (sa.UniqueConstraint("job_type_id", "name", name="uq_stage_type_name"),)

    @property
    def closing(self) -> bool:
        return self.outcome is not None


class Job(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("client.id", ondelete="CASCADE"))
    job_type_id: Mapped[int] = mapped_column(sa.ForeignKey("job_type.id"))
    stage_id: Mapped[int] = mapped_column(sa.ForeignKey("stage.id"))
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    ticket: Mapped[str] = mapped_column(sa.String(12), unique=True)
    due_on: Mapped[date | None]
    value_cents: Mapped[int | None] = mapped_column(sa.BigInteger)
    deposit_cents: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    assigned_to_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    # When the job entered its current stage (reminder rules and "ready for N days" count from it).
    stage_entered_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(sa.String(16))
    # Snoozed on Today: the job's row stays off Today until this shop-local day (a move clears it).
    snoozed_until: Mapped[date | None]
    wishlist_item_id: Mapped[int | None] = mapped_column(sa.ForeignKey("wishlist_item.id", ondelete="SET NULL"))
    purchase_id: Mapped[int | None] = mapped_column(sa.ForeignKey("purchase.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    client: Mapped[Client] = relationship()
    job_type: Mapped[JobType] = relationship()
    stage: Mapped[Stage] = relationship()
    assigned_to: Mapped[User | None] = relationship(foreign_keys=[assigned_to_id])
    wishlist_item: Mapped[WishlistItem | None] = relationship()

    __table_args__ = (
        # The board: one type's jobs, stage by stage, soonest due first...
        sa.Index("ix_job_type_stage", "job_type_id", "stage_id", "due_on"),
        # ...and its per-stage counts and value totals read from the index alone.
        sa.Index("ix_job_board_totals", "job_type_id", "stage_id", "closed_at", "value_cents", "assigned_to_id"),
        # The card: a client's open jobs first.
        sa.Index("ix_job_client_closed", "client_id", "closed_at"),
        # Today: an associate's open jobs by due day...
        sa.Index("ix_job_assignee_due", "assigned_to_id", "closed_at", "due_on"),
        # ...and their "ready to collect" ones, longest waiting first.
        sa.Index("ix_job_assignee_stage_entered", "assigned_to_id", "stage_id", "stage_entered_at"),
    )

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def balance_due_cents(self) -> int:
        return max((self.value_cents or 0) - (self.deposit_cents or 0), 0)


class StageChange(db.Model):
    """Every move of a job, with who and when: the job's history and the client's timeline."""

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(sa.ForeignKey("job.id", ondelete="CASCADE"), index=True)
    from_stage_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stage.id"))
    to_stage_id: Mapped[int] = mapped_column(sa.ForeignKey("stage.id"))
    changed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Moving out of a closing stage back to an open one.
    reopened: Mapped[bool] = mapped_column(default=False)

    job: Mapped[Job] = relationship()
    from_stage: Mapped[Stage | None] = relationship(foreign_keys=[from_stage_id])
    to_stage: Mapped[Stage] = relationship(foreign_keys=[to_stage_id])
    changed_by: Mapped[User | None] = relationship()

    # Stage-based reminder rules look changes up by stage and day.
    __table_args__ = (sa.Index("ix_stage_change_stage_at", "to_stage_id", "changed_at"),)


class Photo(db.Model):
    """A photo file (content-hashed under instance/media/) shown on a client, a job or a wish.

    client_id is always set: access to a photo is access to its client's card.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("client.id", ondelete="CASCADE"), index=True)
    job_id: Mapped[int | None] = mapped_column(sa.ForeignKey("job.id", ondelete="CASCADE"), index=True)
    wishlist_item_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("wishlist_item.id", ondelete="CASCADE"), index=True
    )
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    width: Mapped[int]
    height: Mapped[int]
    size_bytes: Mapped[int]
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
