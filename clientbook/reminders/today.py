"""Read side of reminders: the Today list, the count badge, timeliness, a client's open reminders."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased, joinedload

from clientbook.extensions import db
from clientbook.models import Purchase, PurchaseItem, Reminder, Role, User
from clientbook.models.reminders import OPEN_STATES
from clientbook.reminders.rules import LOOKAHEAD_DAYS

OVERDUE_SHOWN = 50  # the oldest overdue beyond this are counted, not listed


@dataclass
class TodayList:
    today: date
    overdue: list[Reminder] = field(default_factory=list)
    due_today: list[Reminder] = field(default_factory=list)
    upcoming: list[Reminder] = field(default_factory=list)
    overdue_total: int = 0
    last_bought: dict[int, str] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return not (self.overdue or self.due_today or self.upcoming)


def _owned_by(owner_id: int | None):
    return Reminder.owner_id.is_(None) if owner_id is None else Reminder.owner_id == owner_id


def _shows_by(day: date):
    """Open reminders due by `day`, and snoozed ones coming back by then (both use ix_reminder_today)."""
    return sa.or_(
        sa.and_(Reminder.state == "open", Reminder.due_date <= day),
        sa.and_(Reminder.state == "snoozed", Reminder.snoozed_until <= day),
    )


def _action_day():
    return sa.case((Reminder.state == "snoozed", Reminder.snoozed_until), else_=Reminder.due_date)


def today_list(owner_id: int | None, today: date) -> TodayList:
    """One person's list (owner_id=None: the shop queue): overdue, today, next 7 days."""
    horizon = today + timedelta(days=LOOKAHEAD_DAYS)
    base = sa.select(Reminder).options(joinedload(Reminder.client), joinedload(Reminder.important_date))
    current = db.session.scalars(
        base.where(_owned_by(owner_id), _shows_by(horizon), _action_day() >= today)
        .order_by(_action_day(), Reminder.id)
    ).all()
    overdue = db.session.scalars(
        base.where(_owned_by(owner_id), _shows_by(today - timedelta(days=1)))
        .order_by(_action_day().desc(), Reminder.id).limit(OVERDUE_SHOWN)
    ).all()
    result = TodayList(today=today, overdue=list(overdue))
    result.overdue_total = len(overdue)
    if len(overdue) == OVERDUE_SHOWN:
        result.overdue_total = db.session.scalar(
            sa.select(sa.func.count()).select_from(Reminder)
            .where(_owned_by(owner_id), _shows_by(today - timedelta(days=1)))
        )
    for reminder in current:
        (result.due_today if reminder.action_date == today else result.upcoming).append(reminder)
    result.last_bought = last_bought([r.client_id for r in [*overdue, *current]])
    return result


def last_bought(client_ids: list[int]) -> dict[int, str]:
    """The description of each client's most recent purchase item, in one query."""
    if not client_ids:
        return {}
    outer = aliased(Purchase, name="p")
    latest = (
        sa.select(sa.func.max(Purchase.purchased_on)).where(Purchase.client_id == outer.client_id).scalar_subquery()
    )
    rows = db.session.execute(
        sa.select(outer.client_id, PurchaseItem.description)
        .join(PurchaseItem, PurchaseItem.purchase_id == outer.id)
        .where(outer.client_id.in_(set(client_ids)), outer.purchased_on == latest)
        .order_by(outer.client_id, outer.id.desc(), PurchaseItem.id)
    ).all()
    found: dict[int, str] = {}
    for client_id, description in rows:
        found.setdefault(client_id, description)
    return found


def due_count(owner_id: int, today: date) -> int:
    """Overdue + due today for one person: the number on the Today badge."""
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Reminder).where(_owned_by(owner_id), _shows_by(today))
    ) or 0


def open_for_client(client_id: int) -> list[Reminder]:
    return list(db.session.scalars(
        sa.select(Reminder).options(joinedload(Reminder.owner))
        .where(Reminder.client_id == client_id, Reminder.state.in_(OPEN_STATES))
        .order_by(_action_day(), Reminder.id)
    ))


def staff_choices() -> list[User]:
    return list(db.session.scalars(sa.select(User).where(User.active.is_(True)).order_by(User.name)))


def timeliness(today: date, days: int = 30) -> dict[int, tuple[int, int]]:
    """Per owner: (completed by their due date, due) over the last `days` days, dismissed ones aside."""
    on_time = sa.func.sum(sa.case(
        (sa.and_(Reminder.state == "done", Reminder.completed_on <= Reminder.due_date), 1), else_=0
    ))
    rows = db.session.execute(
        sa.select(Reminder.owner_id, on_time, sa.func.count())
        .where(Reminder.owner_id.is_not(None), Reminder.due_date >= today - timedelta(days=days),
               Reminder.due_date < today, Reminder.state != "dismissed")
        .group_by(Reminder.owner_id)
    ).all()
    return {owner_id: (int(done or 0), int(total)) for owner_id, done, total in rows}


def associates() -> list[User]:
    return list(db.session.scalars(
        sa.select(User).where(User.active.is_(True)).order_by(
            sa.case((User.role == Role.ASSOCIATE, 0), else_=1), User.name)
    ))
