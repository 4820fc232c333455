"""Read side of reminders: the Today list, the count badge, timeliness, a client's open reminders."""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from clientbook.extensions import db
from clientbook.models import Client, ImportantDate, Purchase, PurchaseItem, Reminder, ReminderRule
from clientbook.models.reminders import OPEN_STATES
from clientbook.reminders.rules import LOOKAHEAD_DAYS

GROUP_SHOWN = 15  # rows per group before "Show all": a tablet screenful, and keeps the page light and fast
GROUP_MAX = 500  # "Show all" still has a ceiling


@dataclass
class TodayList:
    today: date
    overdue: list[Reminder] = field(default_factory=list)
    due_today: list[Reminder] = field(default_factory=list)
    upcoming: list[Reminder] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=dict)
    last_bought: dict[int, str] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return not (self.overdue or self.due_today or self.upcoming)

    @property
    def overdue_total(self) -> int:
        return self.totals.get("overdue", len(self.overdue))


def _shows(queue: bool, bounded: bool):
    """Open reminders due in [:first, :last] (up to :last when not bounded) and snoozed ones coming
    back then, for :owner_id (or the shop queue). Values are bound at execution.

    Owner and open states come first so ix_reminder_today (owner_id, state, due_date) seeks
    straight to them: done/dismissed history is never scanned.
    """
    first, last = sa.bindparam("first", type_=sa.Date), sa.bindparam("last", type_=sa.Date)

    def within(column):
        return column.between(first, last) if bounded else column <= last

    return sa.and_(
        Reminder.owner_id.is_(None) if queue else Reminder.owner_id == sa.bindparam("owner_id"),
        Reminder.state.in_(OPEN_STATES),
        sa.or_(
            sa.and_(Reminder.state == "open", within(Reminder.due_date)),
            sa.and_(Reminder.state == "snoozed", within(Reminder.snoozed_until)),
        ),
    )


def _action_day():
    return sa.case((Reminder.state == "snoozed", Reminder.snoozed_until), else_=Reminder.due_date)


GROUPS = ("overdue", "today", "upcoming")


# Today's statements are built once and reused with bound values: building and keying SQLAlchemy
# expressions per request cost more than running them.
@functools.cache
def _groups_select(queue: bool) -> sa.Select:
    """The three groups' first rows (at most :limit_<group> each) in one statement.

    Each group is read as open ones by due day and snoozed ones by snooze day (a snooze moves the
    day it shows), each part seeking ix_reminder_today (owner, state, day) in its order, and merged
    in Python; one part ordered by a CASE would sort a busy associate's week, and one matching
    either state by an OR reads all their open reminders when the statistics are stale (just
    after the daily generation). Each part is limited on its own and the parts are joined by
    UNION ALL: one round trip, not six.
    """
    owner = Reminder.owner_id.is_(None) if queue else Reminder.owner_id == sa.bindparam("owner_id")
    parts = []
    for group in GROUPS:
        first, last = sa.bindparam(f"first_{group}", type_=sa.Date), sa.bindparam(f"last_{group}", type_=sa.Date)
        limit = sa.bindparam(f"limit_{group}", type_=sa.Integer)
        for state, day in (("open", Reminder.due_date), ("snoozed", Reminder.snoozed_until)):
            within = day <= last if group == "overdue" else day.between(first, last)
            parts.append(sa.select(Reminder).where(owner, Reminder.state == state, within)
                         .order_by(day.desc() if group == "overdue" else day, Reminder.id).limit(limit))
    listed = aliased(Reminder, sa.union_all(*(part.subquery().select() for part in parts)).subquery("listed"))
    return sa.select(listed)


@functools.cache
def _totals_select(queue: bool) -> sa.CompoundSelect:
    """Per state (open by due day, snoozed by snooze day), one row each in one statement: how many
    are before, on and after :today, up to :last. The open count reads ix_reminder_today alone."""
    today, last = sa.bindparam("today", type_=sa.Date), sa.bindparam("last", type_=sa.Date)
    owner = Reminder.owner_id.is_(None) if queue else Reminder.owner_id == sa.bindparam("owner_id")

    def counted(condition):
        return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)

    return sa.union_all(*(sa.select(counted(day < today), counted(day == today), counted(day > today))
                          .where(owner, Reminder.state == state, day <= last)
                          for state, day in (("open", Reminder.due_date), ("snoozed", Reminder.snoozed_until))))


@functools.cache
def _count_select(queue: bool) -> sa.Select:
    return sa.select(sa.func.count()).select_from(Reminder).where(_shows(queue, bounded=False))


def _owner(owner_id: int | None) -> dict:
    return {} if owner_id is None else {"owner_id": owner_id}


def _totals(owner_id: int | None, today: date, horizon: date) -> dict[str, int]:
    """The three groups' sizes from the index (asked only when a group is cut short)."""
    values = {**_owner(owner_id), "today": today, "last": horizon}
    counts = db.session.execute(_totals_select(owner_id is None), values).all()
    overdue, due_today, upcoming = (sum(int(row[n]) for row in counts) for n in range(3))
    return {"overdue": overdue, "today": due_today, "upcoming": upcoming}


def today_list(owner_id: int | None, today: date, show_all: str = "") -> TodayList:
    """One person's list (owner_id=None: the shop queue): overdue, today, next 7 days.

    Each group lists its first GROUP_SHOWN rows (all of them for the group named in show_all);
    when a group has more, one more query counts all three: a few indexed queries whatever the
    size of the book.
    """
    horizon = today + timedelta(days=LOOKAHEAD_DAYS)

    def limit(group: str) -> int:
        return GROUP_MAX if show_all == group else GROUP_SHOWN

    values = {**_owner(owner_id), "last_overdue": today - timedelta(days=1), "first_today": today,
              "last_today": today, "first_upcoming": today + timedelta(days=1), "last_upcoming": horizon,
              **{f"limit_{group}": limit(group) + 1 for group in GROUPS}}
    # Each group's rows (one more than it shows, to know whether there are more), told apart by
    # the day each shows.
    found: dict[str, list[Reminder]] = {group: [] for group in GROUPS}
    for reminder in db.session.scalars(_groups_select(owner_id is None), values):
        day = reminder.action_date
        found["overdue" if day < today else "today" if day == today else "upcoming"].append(reminder)
    found["overdue"].sort(key=lambda r: (-r.action_date.toordinal(), r.id))
    found["today"].sort(key=lambda r: r.id)
    found["upcoming"].sort(key=lambda r: (r.action_date, r.id))
    result = TodayList(today=today)
    result.overdue, result.due_today, result.upcoming = (found[group][:limit(group)] for group in GROUPS)
    more_overdue, more_today, more_upcoming = (len(found[group]) > limit(group) for group in GROUPS)
    result.totals = (_totals(owner_id, today, horizon) if more_overdue or more_today or more_upcoming else
                     {"overdue": len(result.overdue), "today": len(result.due_today), "upcoming": len(result.upcoming)})
    listed = [*result.overdue, *result.due_today, *result.upcoming]
    _load_related(listed)
    result.last_bought = last_bought([r.client_id for r in listed])
    return result


@functools.cache
def _by_ids(model) -> sa.Select:
    return sa.select(model).where(model.id.in_(sa.bindparam("ids", expanding=True)))


def _load_related(reminders: list[Reminder]) -> None:
    """The clients, important dates and rules the rows show: one query each for the whole list.

    Cheaper than joining them into each group's query (wide rows, repeated per group), and set
    on each reminder as loaded so reading reminder.client in a template costs no more SQL.
    """
    for attribute, model, key in (("client", Client, "client_id"), ("important_date", ImportantDate, "important_date_id"),
                                  ("rule", ReminderRule, "rule_id")):
        ids = {getattr(r, key) for r in reminders} - {None}
        found = {row.id: row for row in db.session.scalars(_by_ids(model), {"ids": list(ids)})} if ids else {}
        for reminder in reminders:
            set_committed_value(reminder, attribute, found.get(getattr(reminder, key)))


def by_client(reminders: list[Reminder]) -> list[list[Reminder]]:
    """The group's reminders gathered per client, in the order each client first appears.

    Today shows one row per client with the reasons inside it; done in memory over rows
    already loaded, so grouping costs no SQL.
    """
    rows: dict[int, list[Reminder]] = {}
    for reminder in reminders:
        rows.setdefault(reminder.client_id, []).append(reminder)
    return list(rows.values())


@functools.cache
def _last_bought_select() -> sa.Select:
    """Each client's latest purchase day (ix_purchase_client_date), then that day's items."""
    latest = (sa.select(Purchase.client_id, sa.func.max(Purchase.purchased_on).label("day"))
              .where(Purchase.client_id.in_(sa.bindparam("ids", expanding=True)))
              .group_by(Purchase.client_id).subquery("latest"))
    return (sa.select(Purchase.client_id, PurchaseItem.description)
            .join(latest, sa.and_(latest.c.client_id == Purchase.client_id, latest.c.day == Purchase.purchased_on))
            .join(PurchaseItem, PurchaseItem.purchase_id == Purchase.id)
            .order_by(Purchase.client_id, Purchase.id.desc(), PurchaseItem.id))


def last_bought(client_ids: list[int]) -> dict[int, str]:
    """The description of each client's most recent purchase item, in one query."""
    if not client_ids:
        return {}
    found: dict[int, str] = {}
    for client_id, description in db.session.execute(_last_bought_select(), {"ids": list(set(client_ids))}):
        found.setdefault(client_id, description)
    return found


def due_count(owner_id: int, today: date) -> int:
    """Overdue + due today for one person: the number on the Today badge."""
    return db.session.scalar(_count_select(False), {"owner_id": owner_id, "last": today}) or 0


def due_counts_by_owner(today: date) -> dict[int | None, int]:
    """Overdue + due today per person (None: the shop queue), for the manager's selector."""
    rows = db.session.execute(
        sa.select(Reminder.owner_id, sa.func.count()).where(
            Reminder.state.in_(OPEN_STATES),
            sa.or_(sa.and_(Reminder.state == "open", Reminder.due_date <= today),
                   sa.and_(Reminder.state == "snoozed", Reminder.snoozed_until <= today)),
        ).group_by(Reminder.owner_id)
    ).all()
    return {owner_id: count for owner_id, count in rows}


def open_for_client(client_id: int) -> list[Reminder]:
    return list(db.session.scalars(
        sa.select(Reminder)
        .options(joinedload(Reminder.owner), joinedload(Reminder.important_date), joinedload(Reminder.rule))
        .where(Reminder.client_id == client_id, Reminder.state.in_(OPEN_STATES))
        .order_by(_action_day(), Reminder.id)
    ))


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

