"""Reminder rules, the reminders they produce, and the bookkeeping of the daily runs."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clientbook.extensions import db
from clientbook.models.clients import Client, ImportantDate
from clientbook.models.core import User, utcnow
from clientbook.models.messaging import MessageTemplate

__all__ = [
    "ReminderRule", "Reminder", "ReminderRunState", "DigestDelivery",
    "RULE_TRIGGERS", "REMINDER_STATES", "REMINDER_OUTCOMES", "DISMISS_REASONS", "OPEN_STATES",
]

# What a rule reacts to: an important date, a purchase, the lack of purchases, or a job entering a stage.
RULE_TRIGGERS = ("date", "purchase", "lapsed", "job_stage")
REMINDER_STATES = ("open", "done", "snoozed", "dismissed")
OPEN_STATES = ("open", "snoozed")
REMINDER_OUTCOMES = {
    "texted": "Texted",
    "called": "Called",
    "emailed": "Emailed",
    "in_person": "In person",
    "no_answer": "No answer",
}
DISMISS_REASONS = {
    "not_relevant": "Not relevant any more",
    "already_in_touch": "Already in touch",
    "client_asked": "Client asked not to be contacted",
    "wrong_details": "Details are wrong",
    "other": "Other",
}


class ReminderRule(db.Model):
    """One step of the shop's outreach rhythm.

    `days` means: days *before* the date (date rules), days *after* a purchase
    (purchase rules), or days without a purchase (lapsed rules). A kind of date with
    several lead times is several rules, so each lead time has its own template and switch.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    trigger: Mapped[str] = mapped_column(sa.String(16))  # one of RULE_TRIGGERS
    date_kind: Mapped[str | None] = mapped_column(sa.String(16))  # birthday/anniversary/custom (date rules)
    days: Mapped[int] = mapped_column(default=0)
    # Purchase rules only: comma-separated categories (empty = any) and a minimum purchase total.
    categories: Mapped[str] = mapped_column(sa.String(400), default="")
    min_amount_cents: Mapped[int | None] = mapped_column(sa.BigInteger)
    job_stage_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stage.id", ondelete="CASCADE"))  # job_stage rules
    message_template_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("message_template.id", ondelete="SET NULL")
    )
    enabled: Mapped[bool] = mapped_column(default=True)
    # Send the suggested message by itself on the due day (consent and quiet hours still apply).
    auto_send: Mapped[bool] = mapped_column(default=False)
    auto_send_channel: Mapped[str | None] = mapped_column(sa.String(16))  # "email"/"sms"; None = the template's
    is_default: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    message_template: Mapped[MessageTemplate | None] = relationship()
    job_stage = relationship("Stage")

    @property
    def category_list(self) -> list[str]:
        return [c.strip() for c in (self.categories or "").split(",") if c.strip()]

    @property
    def timing_label(self) -> str:
        if self.trigger == "date":
            if self.days == 0:
                return "on the day"
            return f"{self.days} day{'s' if self.days != 1 else ''} before"
        if self.trigger == "purchase":
            return f"{self.days} day{'s' if self.days != 1 else ''} after a purchase"
        if self.trigger == "job_stage":
            stage = f"“{self.job_stage.name}”" if self.job_stage else "a stage"
            return f"{self.days} day{'s' if self.days != 1 else ''} after a job enters {stage}"
        return f"no purchase in {self.days} days"


class Reminder(db.Model):
    """Someone to contact, when, and why. (rule_id, client_id, occurrence) is the natural key."""

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int | None] = mapped_column(sa.ForeignKey("reminder_rule.id", ondelete="SET NULL"))
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("client.id", ondelete="CASCADE"))
    # e.g. "d42@2026-12-05" (important date 42 occurring that day), "p981" (purchase 981),
    # "lapsed@2025-06-01" (last purchase that day), "m<token>" (manual follow-up).
    occurrence: Mapped[str] = mapped_column(sa.String(64))
    kind: Mapped[str] = mapped_column(sa.String(16))  # birthday/anniversary/custom/purchase/lapsed/manual
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    due_date: Mapped[date]
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))  # NULL = the shop queue
    state: Mapped[str] = mapped_column(sa.String(16), default="open")
    snoozed_until: Mapped[date | None]
    outcome: Mapped[str | None] = mapped_column(sa.String(16))
    dismiss_reason: Mapped[str | None] = mapped_column(sa.String(200))
    completed_at: Mapped[datetime | None]
    # The shop-local day it was completed: timeliness compares it with due_date portably.
    completed_on: Mapped[date | None]
    completed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    important_date_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("important_date.id", ondelete="SET NULL"), index=True
    )
    purchase_id: Mapped[int | None] = mapped_column(sa.ForeignKey("purchase.id", ondelete="SET NULL"))
    job_id: Mapped[int | None] = mapped_column(sa.ForeignKey("job.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    rule: Mapped[ReminderRule | None] = relationship()
    client: Mapped[Client] = relationship()
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    completed_by: Mapped[User | None] = relationship(foreign_keys=[completed_by_id])
    important_date: Mapped[ImportantDate | None] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("rule_id", "client_id", "occurrence", name="uq_reminder_natural_key"),
        sa.Index("ix_reminder_today", "owner_id", "state", "due_date"),
        sa.Index("ix_reminder_client_state", "client_id", "state"),
    )

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def action_date(self) -> date:
        """The day it shows up on the Today list (a snooze moves it, the due date stays)."""
        if self.state == "snoozed" and self.snoozed_until:
            return self.snoozed_until
        return self.due_date


class ReminderRunState(db.Model):
    """One row for the shop: which day generation last covered, and whether defaults were seeded."""

    id: Mapped[int] = mapped_column(primary_key=True)
    last_generated_day: Mapped[date | None]
    last_run_at: Mapped[datetime | None]
    last_run_created: Mapped[int] = mapped_column(default=0)
    defaults_seeded: Mapped[bool] = mapped_column(default=False)


class DigestDelivery(db.Model):
    """A morning digest, claimed before sending so each associate gets at most one a day."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    day: Mapped[date]
    # claimed -> sending -> delivering (handed to the mail server) -> sent | failed | unknown | empty
    state: Mapped[str] = mapped_column(sa.String(16), default="claimed")
    attempts: Mapped[int] = mapped_column(default=0)
    reminder_count: Mapped[int] = mapped_column(default=0)
    error: Mapped[str] = mapped_column(sa.Text, default="")
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    sending_since: Mapped[datetime | None]  # start of the current attempt: a stale one lost its worker

    __table_args__ = (sa.UniqueConstraint("user_id", "day", name="uq_digest_user_day"),)
