"""Read side of jobs: the card's list, the board, Today's rows, the timeline. A few queries each."""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased, contains_eager, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from clientbook.clients.access import sees_whole_book
from clientbook.clients.timeline import TimelineEntry, register_timeline_source
from clientbook.extensions import db
from clientbook.models import Client, Job, JobType, Photo, Shop, Stage, StageChange, User

CARD_CLOSED_SHOWN = 3
BOARD_COLUMN_SHOWN = 20  # jobs per stage column before "more"; the totals still count them all
READY_AFTER_DAYS = 3  # "ready to collect" jobs show on Today once they have waited this long
TODAY_SHOWN = 15


@dataclass
class CardJobs:
    open: list[Job]
    recently_closed: list[Job]


def card_jobs(client_id: int) -> CardJobs:
    """A client's open jobs (soonest due first), then the last few closed ones: one query, kinds and stages joined."""
    last_closed = (sa.select(Job.id).where(Job.client_id == client_id, Job.closed_at.is_not(None))
                   .order_by(Job.closed_at.desc()).limit(CARD_CLOSED_SHOWN))
    jobs = db.session.scalars(
        sa.select(Job).join(Job.stage).join(Job.job_type)
        .options(contains_eager(Job.stage), contains_eager(Job.job_type))
        .where(Job.client_id == client_id, sa.or_(Job.closed_at.is_(None), Job.id.in_(last_closed)))
        .order_by(Job.due_on.is_(None), Job.due_on, Job.id)
    ).all()
    closed = sorted((job for job in jobs if job.closed_at is not None), key=lambda job: job.closed_at, reverse=True)
    return CardJobs([job for job in jobs if job.closed_at is None], closed)


def job_photos(job_id: int) -> list[Photo]:
    return list(db.session.scalars(sa.select(Photo).where(Photo.job_id == job_id).order_by(Photo.id)))


def job_history(job_id: int) -> list[StageChange]:
    return list(db.session.scalars(
        sa.select(StageChange).where(StageChange.job_id == job_id)
        .options(selectinload(StageChange.to_stage), selectinload(StageChange.changed_by))
        .order_by(StageChange.changed_at.desc(), StageChange.id.desc())
    ))


# ---- the board -------------------------------------------------------------------------------

@dataclass
class BoardColumn:
    stage: Stage
    jobs: list[Job] = field(default_factory=list)
    count: int = 0
    value_cents: int = 0


@functools.cache
def _board_selects(mine: bool, due: str, whole_book: bool, show_closed: bool) -> tuple[sa.Select, sa.Select, sa.Select]:
    """(totals per stage, one column's dated jobs, its undated ones) for one set of filters, built once.

    Bound at execution: :type_id, :user_id, :today, :week_end, :closed_since, :stage_id, :limit.
    """
    conditions = [Job.job_type_id == sa.bindparam("type_id")]
    if mine:
        conditions.append(Job.assigned_to_id == sa.bindparam("user_id"))
    today = sa.bindparam("today", type_=sa.Date)
    if due == "overdue":
        conditions.append(Job.due_on < today)
    elif due == "week":
        conditions.append(Job.due_on.between(today, sa.bindparam("week_end", type_=sa.Date)))
    conditions.append(Job.closed_at.is_(None) if show_closed else
                      sa.or_(Job.closed_at.is_(None), Job.closed_at >= sa.bindparam("closed_since", type_=sa.DateTime)))

    def scoped(select):
        # An associate limited to their own clients sees only those clients' jobs.
        if not whole_book:
            select = select.join(Client, Client.id == Job.client_id).where(
                Client.assigned_to_id == sa.bindparam("user_id"))
        return select.where(*conditions)

    totals = scoped(sa.select(Job.stage_id, sa.func.count(), sa.func.coalesce(sa.func.sum(Job.value_cents), 0))
                    ).group_by(Job.stage_id)
    in_column = scoped(sa.select(Job)).where(Job.stage_id == sa.bindparam("stage_id"))
    limit = sa.bindparam("limit", type_=sa.Integer)
    return (totals, in_column.where(Job.due_on.is_not(None)).order_by(Job.due_on, Job.id).limit(limit),
            in_column.where(Job.due_on.is_(None)).order_by(Job.id).limit(limit))


def board(job_type: JobType, user: User, shop: Shop | None, *, mine: bool, due: str, today: date,
          show_closed: bool = False) -> list[BoardColumn]:
    """One column per stage: counts and value totals (one grouped query), then each column's first jobs.

    Closed stages list only jobs closed in the last 30 days unless asked: a year of "Collected"
    is not what anyone looks for on the board.
    """
    columns = {s.id: BoardColumn(s) for s in job_type.active_stages}
    totals, dated, undated = _board_selects(mine, due if due in ("overdue", "week") else "",
                                            sees_whole_book(user, shop), show_closed)
    values = {"type_id": job_type.id, "user_id": user.id, "today": today,
              "week_end": today + timedelta(days=6 - today.weekday()), "closed_since": _days_ago(30)}
    for stage_id, count, value in db.session.execute(totals, values):
        if stage_id in columns:
            columns[stage_id].count, columns[stage_id].value_cents = count, int(value or 0)

    # Each column's first jobs: soonest due first, undated last. Dated ones are read in the order of
    # ix_job_type_stage (type, stage, due_on), so each query stops after a screenful.
    for column in columns.values():
        if not column.count:
            continue
        in_column = {**values, "stage_id": column.stage.id}
        column.jobs = list(db.session.scalars(dated, {**in_column, "limit": BOARD_COLUMN_SHOWN}))
        if len(column.jobs) < BOARD_COLUMN_SHOWN:
            column.jobs += db.session.scalars(undated, {**in_column, "limit": BOARD_COLUMN_SHOWN - len(column.jobs)})
    _load_clients_and_people([job for column in columns.values() for job in column.jobs])
    return list(columns.values())


def _days_ago(days: int):
    from clientbook.models import utcnow

    return utcnow() - timedelta(days=days)


@functools.cache
def _by_ids(model) -> sa.Select:
    """Rows by id, the ids bound at execution: one statement to build and key, whatever the list."""
    return sa.select(model).where(model.id.in_(sa.bindparam("ids", expanding=True)))


def _load_clients_and_people(jobs: list[Job], people: bool = True) -> None:
    """Clients (and assignees) of the listed jobs, one query each (no lazy load per row)."""
    related = (("client", Client, "client_id"), ("assigned_to", User, "assigned_to_id"))
    for attribute, model, key in related if people else related[:1]:
        ids = {getattr(j, key) for j in jobs} - {None}
        found = {row.id: row for row in db.session.scalars(_by_ids(model), {"ids": list(ids)})} if ids else {}
        for job in jobs:
            set_committed_value(job, attribute, found.get(getattr(job, key)))


# ---- Today -----------------------------------------------------------------------------------

@dataclass
class TodayJobRow:
    job: Job
    waiting: bool  # ready to collect for READY_AFTER_DAYS days or more (else: due or overdue)
    next_stage: Stage | None  # the stage one tap moves it to


@dataclass
class TodayJobs:
    due: list[TodayJobRow]
    waiting: list[TodayJobRow]
    due_total: int = 0
    waiting_total: int = 0

    @property
    def is_empty(self) -> bool:
        return not (self.due or self.waiting)


def _ready_ids(stages) -> list[int]:
    """Of (id, job type id, outcome, active) rows in stage order: the open stage just before a
    collected/delivered one of the same kind."""
    ready, previous = [], None
    for stage_id, type_id, outcome, active in stages:
        if not active:
            continue
        if outcome in ("collected", "delivered") and previous and previous[1] == type_id and previous[2] is None:
            ready.append(previous[0])
        previous = (stage_id, type_id, outcome)
    return ready


def ready_stage_ids() -> list[int]:
    """Stages that mean "ready, waiting for the client": the open stage just before a collected/delivered one."""
    return _ready_ids(db.session.execute(
        sa.select(Stage.id, Stage.job_type_id, Stage.outcome, Stage.active)
        .order_by(Stage.job_type_id, Stage.position, Stage.id)).all())


@functools.cache
def _today_selects(queue: bool) -> tuple[sa.Select, sa.Select]:
    """(due with its total, waiting) for one person's open jobs (:owner_id) or nobody's, built once.

    Bound at execution: :today, :ready_ids (the "ready" stages), :entered_before (ready since
    READY_AFTER_DAYS at least) and :limit.
    """
    owner = Job.assigned_to_id.is_(None) if queue else Job.assigned_to_id == sa.bindparam("owner_id")
    today = sa.bindparam("today", type_=sa.Date)
    # Snoozed on Today: off the list until its day.
    listed = sa.select(Job).where(owner, Job.closed_at.is_(None),
                                  sa.or_(Job.snoozed_until.is_(None), Job.snoozed_until <= today))
    waited = sa.and_(Job.stage_id.in_(sa.bindparam("ready_ids", expanding=True)),
                     Job.stage_entered_at <= sa.bindparam("entered_before", type_=sa.DateTime))
    due = listed.where(Job.due_on <= today, ~waited)
    limit = sa.bindparam("limit", type_=sa.Integer)
    # The due list carries its total (a window over the whole match): no second statement to count it.
    return (due.add_columns(sa.func.count().over().label("total")).order_by(Job.due_on, Job.id).limit(limit),
            listed.where(waited).order_by(Job.stage_entered_at, Job.id).limit(limit))


@functools.cache
def _kinds_select() -> tuple[sa.Select, sa.Select]:
    return sa.select(JobType), sa.select(Stage).order_by(Stage.job_type_id, Stage.position, Stage.id)


def _kinds_and_stages() -> tuple[dict[int, JobType], dict[int, Stage]]:
    """Every job type with its stages, in two small queries, set on each type as loaded."""
    types_select, stages_select = _kinds_select()
    types = {t.id: t for t in db.session.scalars(types_select)}
    stages = list(db.session.scalars(stages_select))
    for job_type in types.values():
        set_committed_value(job_type, "stages", [s for s in stages if s.job_type_id == job_type.id])
    return types, {s.id: s for s in stages}


def today_jobs(owner_id: int | None, today: date, ready_after_days: int = READY_AFTER_DAYS) -> TodayJobs:
    """Open jobs of one person (None: nobody's) due today or overdue, and ready ones not collected.
    A job snoozed on Today stays off until its day.

    Five queries whatever the list: the kinds and stages (tiny tables), the two lists (the due
    one carrying its total), and their clients. Each row's stage,
    kind and client are set as loaded, so the next stage and the row cost no SQL.
    """
    from clientbook.jobs.records import next_stage

    types, stages = _kinds_and_stages()
    ready_ids = _ready_ids((s.id, s.job_type_id, s.outcome, s.active) for s in stages.values())
    due_select, waiting_select = _today_selects(owner_id is None)
    values = {"today": today, "ready_ids": ready_ids, "entered_before": _days_ago(ready_after_days),
              "limit": TODAY_SHOWN + 1, **({} if owner_id is None else {"owner_id": owner_id})}
    due_rows = db.session.execute(due_select, values).all()
    due = [row[0] for row in due_rows]
    waiting = list(db.session.scalars(waiting_select, values)) if ready_ids else []
    due_total, waiting_total = (due_rows[0].total if due_rows else 0), len(waiting)
    due, waiting = due[:TODAY_SHOWN], waiting[:TODAY_SHOWN]
    _load_clients_and_people([*due, *waiting], people=False)
    for job in (*due, *waiting):
        set_committed_value(job, "job_type", types.get(job.job_type_id))
        set_committed_value(job, "stage", stages.get(job.stage_id))
    return TodayJobs([TodayJobRow(job, False, next_stage(job)) for job in due],
                     [TodayJobRow(job, True, next_stage(job)) for job in waiting], due_total, waiting_total)


def today_row(job: Job, today: date, ready_after_days: int = READY_AFTER_DAYS) -> TodayJobRow:
    """One job's Today row, as today_jobs lists it (for a row swapped in place after an action)."""
    from clientbook.jobs.records import next_stage

    waiting = (job.is_open and job.stage_id in ready_stage_ids()
               and job.stage_entered_at <= _days_ago(ready_after_days))
    return TodayJobRow(job, waiting, next_stage(job))


# ---- the client's timeline -------------------------------------------------------------------

@register_timeline_source
def stage_changes(client_id: int, limit: int | None) -> list[TimelineEntry]:
    from_stage = aliased(Stage)
    # Plain rows, not entities: the card shows a few columns of each change and its job.
    rows = db.session.execute(
        sa.select(StageChange.changed_at, StageChange.reopened, Job.id.label("job_id"), Job.title, Job.ticket,
                  Stage.name.label("stage"), from_stage.name.label("from_stage"), User.name.label("by"),
                  JobType.name.label("kind"))
        .join(Job, Job.id == StageChange.job_id).join(JobType, JobType.id == Job.job_type_id)
        .join(Stage, Stage.id == StageChange.to_stage_id)
        .outerjoin(from_stage, from_stage.id == StageChange.from_stage_id)
        .outerjoin(User, User.id == StageChange.changed_by_id)
        .where(Job.client_id == client_id)
        .order_by(StageChange.changed_at.desc(), StageChange.id.desc()).limit(limit)
    ).all()
    return [TimelineEntry(row.changed_at, "job", "jobs/_timeline_stage.html", row) for row in rows]
