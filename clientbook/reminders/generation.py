"""Turning rules into reminders with set-based SQL: one INSERT ... SELECT per rule.

Each rule becomes a SELECT of candidate reminders for a window of due days (the
window's days are spelled out as CASE branches, so no dialect-specific date
arithmetic is needed). The INSERT skips rows whose natural key (rule, client,
occurrence) already exists (ON CONFLICT DO NOTHING on SQLite and PostgreSQL),
which makes every run safe to repeat.
"""
from __future__ import annotations

from collections import defaultdict
from types import SimpleNamespace
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from clientbook.extensions import db
from clientbook.jobs.rules import job_stage_rule_select
from clientbook.models import (
    Client, ImportantDate, Purchase, PurchaseItem, Reminder, ReminderRule, ReminderRunState, User, utcnow,
)
from clientbook.reminders import rules as date_rules
from clientbook.reminders.defaults import ensure_default_rules, run_state
from clientbook.reminders.wording import headline
from clientbook.shop import current_shop, shop_today
from clientbook.text import fold

CANDIDATE_COLUMNS = (
    "rule_id", "client_id", "occurrence", "kind", "reason", "due_date", "owner_id",
    "important_date_id", "purchase_id", "state", "created_at", "job_id",
)

_Assignee = aliased(User, name="assignee")


def _owner_expr():
    """The client's assigned associate while they are active; otherwise the shop queue (NULL)."""
    return sa.case((_Assignee.active.is_(True), Client.assigned_to_id), else_=sa.null())


def _live_clients(select: sa.Select, client_ids) -> sa.Select:
    select = select.outerjoin(_Assignee, _Assignee.id == Client.assigned_to_id).where(
        Client.archived_at.is_(None), Client.merged_into_id.is_(None)
    )
    if client_ids is not None:
        select = select.where(Client.id.in_(list(client_ids)))
    return select


def _str(value: str):
    return sa.literal(value, sa.String)


def _date(value: date):
    return sa.literal(value, sa.Date)


def _date_rule_select(rule: ReminderRule, start: date, end: date, client_ids, now: datetime):
    targets = date_rules.date_targets(start, end, rule.days)
    days_by_month: dict[int, list[int]] = defaultdict(list)
    for month, day in targets:
        days_by_month[month].append(day)
    matches = sa.or_(*(
        sa.and_(ImportantDate.month == month, ImportantDate.day.in_(days))
        for month, days in sorted(days_by_month.items())
    ))

    def per_target(value_of):
        return sa.case(*(
            (sa.and_(ImportantDate.month == m, ImportantDate.day == d), value_of(due, occ))
            for (m, d), (due, occ) in targets.items()
        ))

    due_date = per_target(lambda due, occ: _date(due))
    occurrence_day = per_target(lambda due, occ: _str(occ.isoformat()))
    whose = sa.case(
        (ImportantDate.for_whom != "", ImportantDate.for_whom),
        (Client.first_name != "", Client.first_name),
        else_=_str("Client"),
    )
    occasion = sa.case(
        (sa.and_(ImportantDate.kind == "custom", ImportantDate.label != ""), ImportantDate.label),
        (ImportantDate.kind == "custom", _str("special day")),
        else_=ImportantDate.kind,
    )
    phrase = "today" if rule.days == 0 else ("tomorrow" if rule.days == 1 else f"in {rule.days} days")
    select = sa.select(
        _int(rule.id), Client.id,
        _str("d") + sa.cast(ImportantDate.id, sa.String) + _str("@") + occurrence_day,
        ImportantDate.kind,
        whose + _str("'s ") + occasion + _str(f" {phrase}"),
        due_date, _owner_expr(), ImportantDate.id, sa.null(), _str("open"), sa.literal(now, sa.DateTime),
    ).select_from(ImportantDate).join(Client, Client.id == ImportantDate.client_id).where(matches)
    if rule.date_kind:
        select = select.where(ImportantDate.kind == rule.date_kind)
    return _live_clients(select, client_ids)


def _int(value: int):
    return sa.literal(value, sa.Integer)


def _due_by_source_day(start: date, end: date, days_after: int) -> dict[date, date]:
    return {due - timedelta(days=days_after): due for due in date_rules.days_between(start, end)}


def _purchase_rule_select(rule: ReminderRule, start: date, end: date, client_ids, now: datetime):
    due_by_day = _due_by_source_day(start, end, rule.days)
    select = sa.select(
        _int(rule.id), Client.id,
        _str("p") + sa.cast(Purchase.id, sa.String),
        _str("purchase"),
        _str(f"{rule.name}: bought {rule.days} day{'s' if rule.days != 1 else ''} ago"),
        sa.case({day: _date(due) for day, due in due_by_day.items()}, value=Purchase.purchased_on),
        _owner_expr(), sa.null(), Purchase.id, _str("open"), sa.literal(now, sa.DateTime),
    ).select_from(Purchase).join(Client, Client.id == Purchase.client_id).where(
        Purchase.purchased_on.between(min(due_by_day), max(due_by_day))
    )
    if rule.min_amount_cents is not None:
        select = select.where(Purchase.total_cents >= rule.min_amount_cents)
    categories = sorted({fold(c) for c in rule.category_list})
    if categories:
        select = select.where(sa.exists().where(
            PurchaseItem.purchase_id == Purchase.id, sa.func.fold(PurchaseItem.category).in_(categories)
        ))
    return _live_clients(select, client_ids)


def _lapsed_rule_select(rule: ReminderRule, start: date, end: date, client_ids, now: datetime):
    """Clients whose last purchase falls on a source day of the window.

    Read from the window's days only (ix_purchase_date), then kept when nothing later was bought
    (one seek each in ix_purchase_client_date): the whole purchase history is never grouped.
    """
    due_by_day = _due_by_source_day(start, end, rule.days)
    first, last_day = min(due_by_day), max(due_by_day)
    # Orders from before an import count as of the import's day: the latest they can have been.
    has_history = sa.and_(Client.prior_orders > 0, Client.prior_as_of.is_not(None))
    purchases = sa.select(Purchase.client_id.label("client_id"), Purchase.purchased_on.label("bought_on")).where(
        Purchase.purchased_on.between(first, last_day))
    history = sa.select(Client.id.label("client_id"), Client.prior_as_of.label("bought_on")).where(
        has_history, Client.prior_as_of.between(first, last_day))
    if client_ids is not None:
        purchases = purchases.where(Purchase.client_id.in_(list(client_ids)))
        history = history.where(Client.id.in_(list(client_ids)))
    bought = sa.union_all(purchases, history).subquery("bought")
    last = sa.select(bought.c.client_id.label("client_id"), sa.func.max(bought.c.bought_on).label("last_on")).group_by(
        bought.c.client_id).subquery("last_purchase")
    later = aliased(Purchase, name="later")
    select = sa.select(
        _int(rule.id), Client.id,
        _str("lapsed@") + sa.cast(last.c.last_on, sa.String),
        _str("lapsed"),
        _str(f"No purchase in {rule.days} days"),
        sa.case({day: _date(due) for day, due in due_by_day.items()}, value=last.c.last_on),
        _owner_expr(), sa.null(), sa.null(), _str("open"), sa.literal(now, sa.DateTime),
    ).select_from(last).join(Client, Client.id == last.c.client_id).where(
        ~sa.exists().where(later.client_id == last.c.client_id, later.purchased_on > last.c.last_on),
        ~sa.and_(has_history, Client.prior_as_of > last.c.last_on),
    )
    return _live_clients(select, client_ids)


_SELECTS = {"date": _date_rule_select, "purchase": _purchase_rule_select, "lapsed": _lapsed_rule_select,
            "job_stage": job_stage_rule_select}


def candidate_select(rule: ReminderRule, start: date, end: date, client_ids=None) -> sa.Select:
    """Every reminder `rule` calls for with a due day in [start, end], as CANDIDATE_COLUMNS."""
    select = _SELECTS[rule.trigger](rule, start, end, client_ids, utcnow())
    columns = list(select.selected_columns)
    columns += [sa.null()] * (len(CANDIDATE_COLUMNS) - len(columns))  # only job rules fill job_id
    labelled = [column.label(name) for column, name in zip(columns, CANDIDATE_COLUMNS)]
    return select.with_only_columns(*labelled, maintain_column_froms=True)


def _insert_candidates(select: sa.Select) -> int:
    table = Reminder.__table__
    dialect = db.session.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        if dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        else:
            from sqlalchemy.dialects.postgresql import insert
        statement = insert(table).from_select(CANDIDATE_COLUMNS, select).on_conflict_do_nothing(
            index_elements=["rule_id", "client_id", "occurrence"]
        )
    else:
        # Any other database: an anti-join keeps re-runs from duplicating.
        candidates = select.subquery("candidate")
        existing = sa.exists().where(
            table.c.rule_id == candidates.c[0], table.c.client_id == candidates.c[1],
            table.c.occurrence == candidates.c[2],
        )
        statement = sa.insert(table).from_select(
            CANDIDATE_COLUMNS, sa.select(*candidates.c).where(~existing)
        )
    # Count with RETURNING: drivers disagree on rowcount for INSERT ... SELECT (psycopg says -1).
    return len(db.session.execute(statement.returning(table.c.id)).all())


def enabled_rules() -> list[ReminderRule]:
    return list(db.session.scalars(
        sa.select(ReminderRule).where(ReminderRule.enabled.is_(True)).order_by(ReminderRule.id)
    ))


# Each client id is a bound parameter (twice in some rules), and drivers cap a statement's
# parameters (PostgreSQL: 65 535): a 50 000-row import's clients go in batches.
CLIENT_IDS_PER_STATEMENT = 10_000


def generate(start: date, end: date, client_ids=None, rules: list[ReminderRule] | None = None) -> int:
    """Create the reminders due in [start, end]; returns how many were new. Doesn't commit."""
    if end < start:
        return 0
    rules = rules if rules is not None else enabled_rules()
    if client_ids is None:
        batches = [None]
    else:
        ids = list(client_ids)
        batches = [ids[i:i + CLIENT_IDS_PER_STATEMENT] for i in range(0, len(ids), CLIENT_IDS_PER_STATEMENT)]
    created = 0
    for batch in batches:
        for rule in rules:
            created += _insert_candidates(candidate_select(rule, start, end, batch))
    return created


def run_generation(today: date, start: date | None = None) -> int:
    """The daily run for `today` (a shop-local day): reminders due from `start` (default today)
    through today + the look-ahead. Seeds default rules on first use, records the run, commits.
    Returns the number of reminders created; running it again creates none.
    """
    ensure_default_rules()
    created = generate(start or today, today + timedelta(days=date_rules.LOOKAHEAD_DAYS))
    state = run_state()
    if state.last_generated_day is None or state.last_generated_day < today:
        state.last_generated_day = today
    state.last_run_at = utcnow()
    state.last_run_created = created
    db.session.commit()
    return created


def run_scheduled_generation(now_utc: datetime | None = None, force: bool = False) -> int | None:
    """What the periodic task does: once the shop's day has started, generate for it, catching
    up missed days (bounded). Returns the number created, or None if today was already done."""
    if current_shop() is None:
        return None
    today = shop_today(now_utc)
    state = run_state()
    if not force and not date_rules.needs_generation(today, state.last_generated_day):
        db.session.rollback()
        return None
    window = date_rules.generation_window(today, state.last_generated_day)
    if not force and not _claim_day(state.id, today):
        db.session.rollback()
        return None  # another worker has run it (every consumer's scheduler enqueues this task)
    return run_generation(today, start=window.start)


def _claim_day(state_id: int, today: date) -> bool:
    """Take today's run in this transaction. The conditional UPDATE holds the row until commit, so a
    second worker waits, then finds the day taken; a worker that dies rolls back and frees it."""
    table = ReminderRunState.__table__
    return db.session.execute(
        sa.update(table).where(table.c.id == state_id, sa.or_(table.c.last_generated_day.is_(None),
                                                              table.c.last_generated_day < today))
        .values(last_generated_day=today)
    ).rowcount == 1


def generate_for_clients(client_ids: list[int], today: date | None = None) -> int:
    """Bring a few clients' reminders up to date after a change (inside the caller's transaction)."""
    if not client_ids:
        return 0
    today = today or shop_today()
    return generate(today, today + timedelta(days=date_rules.LOOKAHEAD_DAYS), client_ids=client_ids)


def preview_count(rule: ReminderRule, today: date, days: int = 7) -> int:
    """How many reminders `rule`, as it stands, calls for over the next `days` days (nothing is written)."""
    candidates = candidate_select(rule, today + timedelta(days=1), today + timedelta(days=days)).subquery("c")
    return db.session.scalar(sa.select(sa.func.count()).select_from(candidates)) or 0


def due_on(day: date) -> list[dict]:
    """Reminders the current rules call for on `day`, whether or not they exist yet (for the CLI).
    Each reads as it would on Today (wording.headline), not as the stored reason."""
    rows = []
    users = dict(db.session.execute(sa.select(User.id, User.name)).all())
    for rule in enabled_rules():
        candidates = candidate_select(rule, day, day).subquery("c")
        query = sa.select(
            candidates.c.due_date, Client, candidates.c.kind, candidates.c.reason, candidates.c.occurrence,
            ImportantDate, candidates.c.owner_id,
        ).join(Client, Client.id == candidates.c.client_id).outerjoin(
            # Rules without a date select a bare NULL there, which PostgreSQL types as text.
            ImportantDate, ImportantDate.id == sa.cast(candidates.c.important_date_id, sa.Integer))
        for due, client, kind, reason, occurrence, important, owner_id in db.session.execute(query):
            due = due if isinstance(due, date) else date.fromisoformat(str(due)[:10])
            # Not a Reminder row: a stand-in with the fields headline() reads, nothing added to the session.
            reminder = SimpleNamespace(rule=rule, client=client, kind=kind, reason=reason, occurrence=occurrence,
                                       important_date=important, due_date=due)
            rows.append({
                "date": due.isoformat(),
                "client_id": client.id,
                "client_name": f"{client.first_name} {client.last_name}".strip(),
                "kind": kind,
                "reason": headline(reminder, day),
                "assigned_to": users.get(owner_id, "") if owner_id else "",
            })
    rows.sort(key=lambda row: (row["assigned_to"], row["client_name"], row["client_id"]))
    return rows
