"""Matching imported rows to the book and writing them, set-based.

Every existing email, phone and external id is loaded once into dicts; rows are
matched in memory (so duplicates inside one file land on one client too), then
written with a handful of bulk statements per thousand clients. The caller owns
the transaction: nothing here commits.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from flask import current_app

from clientbook.extensions import db
from clientbook.imports.client_rows import ClientReading, ClientRow
from clientbook.models import Client, ClientExternalId, ClientTag, ImportantDate, ImportUndo, Note, utcnow
from clientbook.search_index import refresh_search_tokens
from clientbook.shop import shop_today
from clientbook.signals import client_changed
from clientbook.tags import known_spellings, shop_spellings, tag_key

CHUNK = 1000
Progress = Callable[[int, int], None]


@dataclass
class Group:
    """All rows of the file that are one client: an existing one (client_id) or a new one."""

    client_id: int | None
    rows: list[ClientRow] = field(default_factory=list)
    is_new: bool = False  # fixed when planned; client_id is filled in once a new client is written


@dataclass
class ClientPlan:
    reading: ClientReading
    groups: list[Group]

    @property
    def to_create(self) -> int:
        return sum(1 for g in self.groups if g.is_new)

    @property
    def merged_into_existing(self) -> int:
        return sum(len(g.rows) for g in self.groups if not g.is_new)

    @property
    def duplicates_in_file(self) -> int:
        return sum(len(g.rows) - 1 for g in self.groups if g.is_new)

    @property
    def merged(self) -> int:
        return self.merged_into_existing + self.duplicates_in_file

    @property
    def skipped(self) -> int:
        return self.reading.skipped


@dataclass
class ClientImportResult:
    created: int
    merged: int
    skipped: int
    client_ids: list[int]


def chunks(items: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def allocate_ids(model, count: int) -> list[int]:
    """Primary keys for `count` new rows, so bulk inserts need no RETURNING (which SQLite runs row by row).

    SQLite: the import's transaction began IMMEDIATE, so it holds the write lock and
    max(id) can't move under us. PostgreSQL: draw the values from the table's sequence.
    """
    if count == 0:
        return []
    table = model.__table__
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        return list(db.session.scalars(
            sa.select(sa.func.nextval(sa.func.pg_get_serial_sequence(table.name, "id")))
            .select_from(sa.func.generate_series(1, count))))
    start = (db.session.scalar(sa.select(sa.func.max(table.c.id))) or 0) + 1
    return list(range(start, start + count))


# ---- matching ------------------------------------------------------------------------------

def _row_keys(row: ClientRow) -> list[tuple]:
    keys: list[tuple] = []
    if row.clientbook_id is not None:
        keys.append(("id", row.clientbook_id))
    keys.extend(("ext", source, value) for source, value in row.external_ids)
    if row.email:
        keys.append(("email", row.email))
    if row.phone and row.phone_valid:
        keys.append(("phone", row.phone))
    return keys


IN_LIST = 500  # values per IN (...): no statement grows with the file


def _existing_keys(rows: list[ClientRow]) -> dict[tuple, int]:
    """Every key of these rows that already identifies a client in the book -> that client's id (merges followed)."""
    ids = {r.clientbook_id for r in rows if r.clientbook_id is not None}
    emails = {r.email for r in rows if r.email}
    phones = {r.phone for r in rows if r.phone and r.phone_valid}
    externals = {value for r in rows for _source, value in r.external_ids}
    keys: dict[tuple, int] = {}
    live = Client.merged_into_id.is_(None)
    columns = (Client.id, Client.email, Client.phone, Client.phone_valid)
    for column, wanted in ((Client.id, ids), (Client.email, emails), (Client.phone, phones)):
        for batch in chunks(sorted(wanted), IN_LIST):
            for client_id, email, phone, phone_valid in db.session.execute(
                sa.select(*columns).where(live, column.in_(batch)).order_by(Client.id)
            ):
                keys[("id", client_id)] = client_id
                if email:
                    keys.setdefault(("email", email.lower()), client_id)
                if phone and phone_valid:
                    keys.setdefault(("phone", phone), client_id)
    target = sa.func.coalesce(Client.merged_into_id, Client.id)
    for batch in chunks(sorted(externals), IN_LIST):
        for source, value, client_id in db.session.execute(
            sa.select(ClientExternalId.source, ClientExternalId.value, target).join(Client)
            .where(ClientExternalId.value.in_(batch)).order_by(ClientExternalId.id)
        ):
            keys.setdefault(("ext", source, value), client_id)
    return keys


def plan_clients(reading: ClientReading) -> ClientPlan:
    """Decide, without writing, which rows create a client and which merge into which."""
    known: dict[tuple, int] = _existing_keys(reading.rows)  # key -> existing id (>= 0) or -(new group index + 1)
    groups: list[Group] = []
    existing_groups: dict[int, Group] = {}
    for row in reading.rows:
        keys = _row_keys(row)
        target = next((known[k] for k in keys if k in known), None)
        if target is None:
            groups.append(Group(client_id=None, rows=[row], is_new=True))
            target = -len(groups)
        elif target < 0:
            groups[-target - 1].rows.append(row)
        else:
            group = existing_groups.get(target)
            if group is None:
                group = existing_groups[target] = Group(client_id=target)
                groups.append(group)
            group.rows.append(row)
        for key in keys:
            known.setdefault(key, target)
    return ClientPlan(reading=reading, groups=groups)


# ---- writing ---------------------------------------------------------------------------------

NOTE_SOURCE = "Import"


@dataclass
class ImportContext:
    """What stays the same across the batches of one import."""

    source: str  # consent's "how obtained"
    today: date  # prior history is "before" this day
    job_id: int | None = None  # set: every write is logged in ImportUndo so a failed import can be taken back
    assign_to_id: int | None = None  # who new clients are looked after by (None: the store book)
    # Clients this import created, or whose state before it is already in the undo log.
    logged: set[int] = field(default_factory=set)
    with_prior: set[int] = field(default_factory=set)  # clients that got history from this import: rows add up
    # Called between the steps of a batch; a batched import commits there, so no step holds the
    # write lock for long (everything is in the undo log already).
    checkpoint: Callable[[], None] = lambda: None


def write_clients(plan: ClientPlan, author_id: int | None = None, progress: Progress | None = None,
                  context: ImportContext | None = None) -> ClientImportResult:
    """Write one plan (a whole small file, or one batch of a big one). The caller commits."""
    context = context or ImportContext(source=plan.reading.format.consent_source, today=shop_today())
    now = utcnow()
    total = len(plan.groups)
    done = 0
    touched: list[int] = []
    if any(g.is_new and g.client_id is not None for g in plan.groups):
        raise RuntimeError("This plan was already written.")
    new_groups = [g for g in plan.groups if g.is_new]
    existing_groups = [g for g in plan.groups if not g.is_new]

    for batch in chunks(new_groups):
        ids = allocate_ids(Client, len(batch))
        values = [{"id": client_id, **_new_client_values(g.rows, context, now)} for client_id, g in zip(ids, batch)]
        db.session.execute(sa.insert(Client.__table__), values)
        for group, client_id in zip(batch, ids):
            group.client_id = client_id
            if values and _prior(group.rows)[2]:
                context.with_prior.add(client_id)
        context.logged.update(ids)
        _log_undo(context, [("client", client_id, None) for client_id in ids])
        _write_details(batch, now, author_id, context, existing=False)
        touched.extend(ids)
        done += len(batch)
        if progress:
            progress(done, total)

    changed: list[int] = list(touched)  # every new client, then existing ones that changed at all
    for batch in chunks(existing_groups):
        searchable, updated = _update_existing(batch, context, now)
        tagged, detailed = _write_details(batch, now, author_id, context, existing=True)
        touched.extend(searchable | tagged)
        changed.extend(updated | detailed)
        done += len(batch)
        if progress:
            progress(done, total)

    context.checkpoint()
    # Only clients whose names, email, phone or tags changed need new search tokens.
    refresh_search_tokens(touched)
    context.checkpoint()
    if changed:
        # Other features (reminders) react to new dates, consent and contact details, set-based.
        client_changed.send(current_app._get_current_object(), client_ids=changed)
    return ClientImportResult(created=len(new_groups), merged=plan.merged, skipped=plan.skipped, client_ids=changed)


def _log_undo(context: ImportContext, entries: list[tuple[str, int, dict | None]]) -> None:
    if context.job_id is not None and entries:
        db.session.execute(sa.insert(ImportUndo.__table__), [
            {"job_id": context.job_id, "table_name": table, "row_id": row_id, "before": before}
            for table, row_id, before in entries])


def _first(rows: Iterable[ClientRow], name: str):
    return next((getattr(r, name) for r in rows if getattr(r, name)), None)


def _consent(rows: list[ClientRow], name: str) -> bool | None:
    """Any opt-in wins over silence; the last explicit choice in the file wins overall."""
    explicit = [getattr(r, name) for r in rows if getattr(r, name) is not None]
    return explicit[-1] if explicit else None


def _prior(rows: list[ClientRow]) -> tuple[int, int, bool]:
    """(spent, orders, whether the file said anything): rows of one person add up."""
    spent = sum(r.prior_spent_cents or 0 for r in rows)
    orders = sum(r.prior_orders or 0 for r in rows)
    known = any(r.prior_spent_cents is not None or r.prior_orders is not None for r in rows)
    return spent, orders, known


def _best_phone(rows: list[ClientRow]) -> tuple[str | None, bool]:
    for row in rows:
        if row.phone and row.phone_valid:
            return row.phone, True
    phone = _first(rows, "phone")
    return phone, False


def _new_client_values(rows: list[ClientRow], context: ImportContext, now) -> dict:
    phone, phone_valid = _best_phone(rows)
    spent, orders, known = _prior(rows)
    values = {
        "first_name": _first(rows, "first_name") or "",
        "last_name": _first(rows, "last_name") or "",
        "email": _first(rows, "email"),
        "phone": phone,
        "phone_valid": phone_valid,
        "address": _first(rows, "address") or "",
        "assigned_to_id": context.assign_to_id,
        "prior_spent_cents": spent,
        "prior_orders": orders,
        "prior_as_of": context.today if known else None,
        "created_at": now,
        "updated_at": now,
    }
    for channel in ("email", "sms"):
        opted_in = _consent(rows, f"{channel}_opt_in") is True
        values[f"{channel}_opt_in"] = opted_in
        values[f"{channel}_opt_in_at"] = now if opted_in else None
        values[f"{channel}_opt_in_source"] = context.source if opted_in else ""
    return values


_UPDATABLE = ("first_name", "last_name", "email", "phone", "phone_valid", "address", "assigned_to_id",
              "email_opt_in", "email_opt_in_at", "email_opt_in_source",
              "sms_opt_in", "sms_opt_in_at", "sms_opt_in_source",
              "prior_spent_cents", "prior_orders", "prior_as_of", "updated_at")


_SEARCHED = ("first_name", "last_name", "email", "phone")


def _snapshot(values: dict) -> dict:
    """A row's values as JSON for the undo log (dates as ISO text)."""
    return {k: (v.isoformat() if isinstance(v, (date, datetime)) else v) for k, v in values.items()}


def _update_existing(groups: list[Group], context: ImportContext, now) -> tuple[set[int], set[int]]:
    """Fill what the book lacks; never overwrite what a person typed, except consent changes.

    The file's totals before the import replace the ones an earlier import of the same history
    left (importing a file twice changes nothing); rows of one person in this file add up.
    Returns (ids whose searchable fields changed, ids that changed at all).
    """
    by_id = {g.client_id: g for g in groups}
    current = {
        row.id: row._asdict()
        for row in db.session.execute(
            sa.select(Client.id, *(getattr(Client, name) for name in _UPDATABLE)).where(Client.id.in_(by_id))
        )
    }
    updates = []
    snapshots = []
    searchable_changed: set[int] = set()
    updated: set[int] = set()
    for client_id, group in by_id.items():
        before = current[client_id]
        after = dict(before)
        for name in ("first_name", "last_name", "email", "address"):
            if not before[name]:
                after[name] = _first(group.rows, name) or before[name]
        if before["assigned_to_id"] is None and context.assign_to_id is not None:
            after["assigned_to_id"] = context.assign_to_id
        phone, phone_valid = _best_phone(group.rows)
        if phone and (not before["phone"] or (phone_valid and not before["phone_valid"])):
            after["phone"], after["phone_valid"] = phone, phone_valid
        for channel in ("email", "sms"):
            wanted = _consent(group.rows, f"{channel}_opt_in")
            if wanted is not None and wanted != before[f"{channel}_opt_in"]:
                after[f"{channel}_opt_in"] = wanted
                after[f"{channel}_opt_in_at"] = now
                after[f"{channel}_opt_in_source"] = context.source
        spent, orders, known = _prior(group.rows)
        if known:
            if client_id in context.with_prior:
                spent += before["prior_spent_cents"] or 0
                orders += before["prior_orders"] or 0
            after["prior_spent_cents"], after["prior_orders"] = spent, orders
            if (spent, orders) != (before["prior_spent_cents"], before["prior_orders"]):
                after["prior_as_of"] = context.today
            context.with_prior.add(client_id)
        if after != before:
            after["updated_at"] = now
            updates.append(after)
            updated.add(client_id)
            if client_id not in context.logged:
                snapshots.append(("client", client_id, _snapshot(before)))
                context.logged.add(client_id)
            if any(after[name] != before[name] for name in _SEARCHED):
                searchable_changed.add(client_id)
    if updates:
        db.session.execute(sa.update(Client), updates)
    _log_undo(context, snapshots)
    return searchable_changed, updated


def _write_details(groups: list[Group], now, author_id: int | None, context: ImportContext,
                   existing: bool) -> tuple[set[int], set[int]]:
    """Tags, external ids, birthday/anniversary and notes of these clients, skipping what is already there.

    Returns (ids that got new tags, ids that got anything new).
    """
    ids = [g.client_id for g in groups]
    have_tags: set[tuple[int, str]] = set()
    have_dates: set[tuple[int, str]] = set()
    have_notes: set[tuple[int, str]] = set()
    if existing:
        have_tags = {(cid, tag_key(tag)) for cid, tag in db.session.execute(
            sa.select(ClientTag.client_id, ClientTag.tag).where(ClientTag.client_id.in_(ids)))}
        have_dates = set(db.session.execute(
            sa.select(ImportantDate.client_id, ImportantDate.kind)
            .where(ImportantDate.client_id.in_(ids), ImportantDate.for_whom == "")).tuples())
        have_notes = set(db.session.execute(
            sa.select(Note.client_id, Note.body).where(Note.client_id.in_(ids))).tuples())
    taken_external: set[tuple[str, str]] = set()
    for batch in chunks(sorted({v for g in groups for r in g.rows for _s, v in r.external_ids}), IN_LIST):
        taken_external.update(db.session.execute(
            sa.select(ClientExternalId.source, ClientExternalId.value).where(ClientExternalId.value.in_(batch))).tuples())

    tags, externals, dates, notes = [], [], [], []
    spellings = known_spellings()  # a tag the shop has is written its way; the file's first spelling otherwise
    for group in groups:
        cid = group.client_id
        for row in group.rows:
            for tag in shop_spellings(row.tags, spellings):
                if (cid, tag_key(tag)) not in have_tags:
                    have_tags.add((cid, tag_key(tag)))
                    tags.append({"client_id": cid, "tag": tag})
            for source, value in row.external_ids:
                if (source, value) not in taken_external:
                    taken_external.add((source, value))
                    externals.append({"client_id": cid, "source": source, "value": value})
            for kind in ("birthday", "anniversary"):
                when = getattr(row, kind)
                if when and (cid, kind) not in have_dates:
                    have_dates.add((cid, kind))
                    dates.append({"client_id": cid, "kind": kind, "label": "", "month": when.month, "day": when.day,
                                  "year": when.year, "for_whom": "", "created_at": now})
            if row.note and (cid, row.note) not in have_notes:
                have_notes.add((cid, row.note))
                # Notes from the file are the POS's words, not the words of whoever clicked Import.
                notes.append({"client_id": cid, "author_id": None, "source": NOTE_SOURCE, "body": row.note,
                              "created_at": now})
    for model, values in ((ClientTag, tags), (ClientExternalId, externals), (ImportantDate, dates), (Note, notes)):
        if values:
            db.session.execute(sa.insert(model.__table__), values)
    if existing:
        # New clients take their details with them when undone; existing ones need each detail named.
        _log_undo(context, [("client_tag", v["client_id"], {"tag": v["tag"]}) for v in tags]
                  + [("client_external_id", v["client_id"], {"source": v["source"], "value": v["value"]})
                     for v in externals]
                  + [("important_date", v["client_id"], {"kind": v["kind"]}) for v in dates]
                  + [("note", v["client_id"], {"body": v["body"]}) for v in notes])
    return ({v["client_id"] for v in tags},
            {v["client_id"] for values in (tags, externals, dates, notes) for v in values})
