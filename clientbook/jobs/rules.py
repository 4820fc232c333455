"""Reminder rules of the kind "N days after a job enters stage S", as one set-based SELECT.

The day a job entered its stage is a shop-local day, but stage_entered_at is stored in UTC:
each source day of the window becomes a UTC [from, to) range computed here, and a CASE over
those ranges gives the due day. No dialect's date arithmetic is needed (SQLite and PostgreSQL
run the same statement). Only jobs still in that stage qualify: a repair collected before the
reminder is due needs no call.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from clientbook.extensions import db
from clientbook.models import Client, Job, ReminderRule, Shop, User
from clientbook.reminders import rules as date_rules

_JobAssignee = aliased(User, name="job_assignee")


def _utc_range(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The naive-UTC instants [start, end) of a shop-local day."""
    def instant(d: date) -> datetime:
        return datetime.combine(d, time(0), zone).astimezone(timezone.utc).replace(tzinfo=None)

    return instant(day), instant(day + timedelta(days=1))


def job_stage_rule_select(rule: ReminderRule, start: date, end: date, client_ids, now: datetime) -> sa.Select:
    """Reminder candidates (the generation's column order, then job_id) due in [start, end]."""
    shop = db.session.scalar(sa.select(Shop).order_by(Shop.id).limit(1))
    zone = ZoneInfo(shop.timezone if shop else "UTC")
    ranges = {due: _utc_range(due - timedelta(days=rule.days), zone) for due in date_rules.days_between(start, end)}
    entered = Job.stage_entered_at
    due_date = sa.case(*((sa.and_(entered >= low, entered < high), sa.literal(due, sa.Date))
                         for due, (low, high) in ranges.items()))
    earliest, latest = min(low for low, _ in ranges.values()), max(high for _, high in ranges.values())
    entered_day = sa.case(*((sa.and_(entered >= low, entered < high),
                             sa.literal((due - timedelta(days=rule.days)).isoformat(), sa.String))
                            for due, (low, high) in ranges.items()))
    select = sa.select(
        sa.literal(rule.id, sa.Integer), Client.id,
        sa.literal("j", sa.String) + sa.cast(Job.id, sa.String) + sa.literal("@", sa.String) + entered_day,
        sa.literal("job", sa.String),
        sa.literal(f"{rule.name}: ", sa.String) + Job.title,
        due_date,
        # The job's associate while active; otherwise the shop queue.
        sa.case((_JobAssignee.active.is_(True), Job.assigned_to_id), else_=sa.null()),
        sa.null(), sa.null(), sa.literal("open", sa.String), sa.literal(now, sa.DateTime),
        Job.id,
    ).select_from(Job).join(Client, Client.id == Job.client_id).outerjoin(
        _JobAssignee, _JobAssignee.id == Job.assigned_to_id
    ).where(
        Job.stage_id == rule.job_stage_id, entered >= earliest, entered < latest,
        Client.archived_at.is_(None), Client.merged_into_id.is_(None),
    )
    if client_ids is not None:
        select = select.where(Client.id.in_(list(client_ids)))
    return select
