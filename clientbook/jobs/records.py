"""What can happen to a job: seeding the types, taking one in, moving it, turning it into a purchase.

Plain functions on the session; callers commit. Views, the CLI and the demo use the same ones.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from clientbook.clients.records import add_purchase
from clientbook.extensions import db
from clientbook.models import Client, Job, JobType, Purchase, Stage, StageChange, User, WishlistItem, utcnow

# (name, is_opportunity, ticket prefix, [(stage, outcome or None), ...])
DEFAULT_TYPES = (
    ("Repair", False, "R", [("Received", None), ("At the workshop", None), ("Ready to collect", None),
                            ("Collected", "collected")]),
    ("Custom order", False, "C", [("Quote", None), ("Deposit paid", None), ("In making", None), ("Ready", None),
                                  ("Delivered", "delivered"), ("Cancelled", "cancelled")]),
    ("Sales opportunity", True, "S", [("Interested", None), ("Shown options", None), ("Decision due", None),
                                      ("Won", "won"), ("Lost", "lost")]),
)
# Ticket characters: no 0/O, 1/I/L, so a ticket read aloud or handwritten is never ambiguous.
TICKET_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
TICKET_LENGTH = 5


class JobError(ValueError):
    """A change that can't be made; the message is for the person who asked."""


def ensure_job_types() -> None:
    """Seed the three standard job types once (an empty table means a new install)."""
    if db.session.scalar(sa.select(JobType.id).limit(1)) is not None:
        return
    for position, (name, is_opportunity, prefix, stages) in enumerate(DEFAULT_TYPES):
        job_type = JobType(name=name, is_opportunity=is_opportunity, ticket_prefix=prefix, position=position)
        job_type.stages = [Stage(name=stage, outcome=outcome, position=index)
                           for index, (stage, outcome) in enumerate(stages)]
        db.session.add(job_type)
    db.session.flush()


def active_job_types() -> list[JobType]:
    ensure_job_types()
    return list(db.session.scalars(
        sa.select(JobType).where(JobType.active.is_(True)).order_by(JobType.position, JobType.id)
    ))


def stage_choices() -> list[tuple[int, str]]:
    """(stage id, "Repair: Ready to collect") for every stage in use, kind by kind."""
    return [(stage.id, f"{job_type.name}: {stage.name}") for job_type in active_job_types()
            for stage in job_type.active_stages]


def new_ticket(prefix: str) -> str:
    """A short ticket number nobody else has, e.g. 'R-7KQ3M'."""
    while True:
        ticket = f"{prefix}-" + "".join(secrets.choice(TICKET_ALPHABET) for _ in range(TICKET_LENGTH))
        if db.session.scalar(sa.select(Job.id).where(Job.ticket == ticket)) is None:
            return ticket


def first_stage(job_type: JobType) -> Stage:
    stages = [s for s in job_type.active_stages if not s.closing] or job_type.active_stages
    if not stages:
        raise JobError(f"“{job_type.name}” has no stages yet. Add them in Settings → Jobs.")
    return stages[0]


def create_job(client: Client, job_type: JobType, *, title: str, user: User | None, description: str = "",
               due_on: date | None = None, value_cents: int | None = None, deposit_cents: int = 0,
               assigned_to_id: int | None = None, wishlist_item: WishlistItem | None = None) -> Job:
    stage = first_stage(job_type)
    now = utcnow()
    job = Job(client_id=client.id, job_type_id=job_type.id, stage_id=stage.id, title=title.strip(),
              description=(description or "").strip(), ticket=new_ticket(job_type.ticket_prefix or "J"),
              due_on=due_on, value_cents=value_cents, deposit_cents=deposit_cents or 0,
              assigned_to_id=assigned_to_id, created_by_id=user.id if user else None, stage_entered_at=now,
              created_at=now, wishlist_item_id=wishlist_item.id if wishlist_item else None)
    job.job_type, job.stage = job_type, stage
    db.session.add(job)
    db.session.flush()
    db.session.add(StageChange(job_id=job.id, from_stage_id=None, to_stage_id=stage.id,
                               changed_by_id=user.id if user else None, changed_at=now))
    return job


def move_job(job: Job, stage: Stage, user: User | None) -> StageChange | None:
    """Put a job in another stage of its type: a closing stage closes it, leaving one reopens it.

    Every move is logged; moving to the stage it is in already changes nothing.
    """
    if stage.job_type_id != job.job_type_id:
        raise JobError("That stage belongs to another kind of job.")
    if not stage.active:
        raise JobError(f"“{stage.name}” is no longer in use.")
    if stage.id == job.stage_id:
        return None
    now = utcnow()
    was_closed = job.closed_at is not None
    change = StageChange(job_id=job.id, from_stage_id=job.stage_id, to_stage_id=stage.id,
                         changed_by_id=user.id if user else None, changed_at=now,
                         reopened=was_closed and not stage.closing)
    job.stage_id, job.stage, job.stage_entered_at = stage.id, stage, now
    job.snoozed_until = None  # a new stage is a new reason to look at it
    if stage.closing:
        job.closed_at, job.outcome = now, stage.outcome
    else:
        job.closed_at, job.outcome = None, None
    db.session.add(change)
    return change


def next_stage(job: Job) -> Stage | None:
    """The stage after the current one (the main path: the first closing stage ends it)."""
    stages = job.job_type.active_stages
    later = [s for s in stages if s.position > job.stage.position or (s.position == job.stage.position
                                                                      and s.id > job.stage.id)]
    return later[0] if later else None


@dataclass
class PurchaseDraft:
    description: str
    amount_cents: int
    category: str


def purchase_draft(job: Job) -> PurchaseDraft:
    return PurchaseDraft(description=job.title, amount_cents=job.value_cents or 0, category=job.job_type.name)


def job_to_purchase(job: Job, *, purchased_on: date, associate_id: int | None, description: str,
                    amount_cents: int) -> Purchase:
    """Record what a won / delivered / collected job earned as a purchase on the card, once."""
    if job.purchase_id is not None:
        raise JobError("This job is already on the card as a purchase.")
    if job.outcome not in ("won", "delivered", "collected"):
        raise JobError("Only a won, delivered or collected job can become a purchase.")
    purchase = add_purchase(job.client, purchased_on=purchased_on, associate_id=associate_id,
                            items=[{"description": description, "category": job.job_type.name,
                                    "sku": job.ticket, "amount_cents": amount_cents}])
    db.session.flush()
    purchase.external_id = purchase.external_id or job.ticket
    job.purchase_id = purchase.id
    return purchase


def opportunity_type() -> JobType:
    ensure_job_types()
    found = db.session.scalar(sa.select(JobType).where(JobType.is_opportunity.is_(True), JobType.active.is_(True))
                              .order_by(JobType.position, JobType.id).limit(1))
    if found is None:
        raise JobError("There is no sales opportunity job type. Add one in Settings → Jobs.")
    return found


def wish_to_opportunity(item: WishlistItem, user: User) -> Job:
    """A wish-list item becomes a sales opportunity (once; the second tap opens the same job)."""
    existing = db.session.scalar(sa.select(Job).where(Job.wishlist_item_id == item.id).limit(1))
    if existing is not None:
        return existing
    client = db.session.get(Client, item.client_id)
    return create_job(client, opportunity_type(), title=item.description, user=user, description=item.note or "",
                      assigned_to_id=client.assigned_to_id or user.id, wishlist_item=item)
