"""The client's timeline: one list, newest first, fed by sources any feature can register.

A source is fn(client_id, limit) -> list[TimelineEntry]: its newest `limit` entries (all of
them when limit is None), so a client with hundreds of purchases costs no more than one
with a few. The card renders each entry with
`{% include entry.template %}` and `entry` in the context. Purchases, notes and
wish-list additions are registered here the same way other features add theirs.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time

import sqlalchemy as sa

from clientbook.extensions import db
from clientbook.models import Note, Purchase, PurchaseItem, User, WishlistItem


@dataclass
class TimelineEntry:
    when: datetime  # naive UTC, or a date's noon for day-only events
    kind: str  # "purchase", "note", "wishlist", ... (also a CSS hook)
    template: str
    data: object


TimelineSource = Callable[[int, int | None], list[TimelineEntry]]
_sources: list[TimelineSource] = []


def register_timeline_source(fn: TimelineSource) -> TimelineSource:
    """Add a source (usable as a decorator). Registering the same function twice is a no-op."""
    if fn not in _sources:
        _sources.append(fn)
    return fn


def client_timeline(client_id: int, limit: int | None = None) -> tuple[list[TimelineEntry], bool]:
    """Entries from every source, newest first; and whether more than `limit` existed."""
    # Each source returns one more than needed, so "more exist" is known without counting.
    per_source = None if limit is None else limit + 1
    entries = [entry for source in _sources for entry in source(client_id, per_source)]
    entries.sort(key=lambda e: e.when, reverse=True)
    if limit is not None and len(entries) > limit:
        return entries[:limit], True
    return entries, False


def _day_instant(day, created_at: datetime | None) -> datetime:
    # A purchase has only a day; when it was logged that same day, its logging time orders it among notes.
    if created_at is not None and created_at.date() == day:
        return created_at
    return datetime.combine(day, time(12))


@dataclass
class PurchaseEntry:
    """A purchase as the timeline shows it: plain rows, its items and who sold it read alongside."""
    id: int
    purchased_on: date
    total_cents: int
    external_id: str | None
    sold_by: str | None
    items: list = field(default_factory=list)  # rows: description, category, sku, quantity, amount_cents


@register_timeline_source
def purchases(client_id: int, limit: int | None) -> list[TimelineEntry]:
    rows = db.session.execute(
        sa.select(Purchase.id, Purchase.purchased_on, Purchase.created_at, Purchase.total_cents, Purchase.external_id,
                  User.name).outerjoin(User, User.id == Purchase.associate_id).where(Purchase.client_id == client_id)
        .order_by(Purchase.purchased_on.desc(), Purchase.id.desc()).limit(limit)
    ).all()
    entries = {row.id: PurchaseEntry(row.id, row.purchased_on, row.total_cents, row.external_id, row.name)
               for row in rows}
    if entries:
        for item in db.session.execute(
            sa.select(PurchaseItem.purchase_id, PurchaseItem.description, PurchaseItem.category, PurchaseItem.sku,
                      PurchaseItem.quantity, PurchaseItem.amount_cents)
            .where(PurchaseItem.purchase_id.in_(entries)).order_by(PurchaseItem.id)
        ):
            entries[item.purchase_id].items.append(item)
    return [TimelineEntry(_day_instant(row.purchased_on, row.created_at), "purchase", "clients/timeline/_purchase.html",
                          entries[row.id]) for row in rows]


@register_timeline_source
def notes(client_id: int, limit: int | None) -> list[TimelineEntry]:
    rows = db.session.execute(
        sa.select(Note, User.name).outerjoin(User, User.id == Note.author_id).where(Note.client_id == client_id)
        .order_by(Note.created_at.desc(), Note.id.desc()).limit(limit)
    ).all()
    # A note nobody typed here is credited to where it came from ("Import" for a file's notes).
    return [TimelineEntry(note.created_at, "note", "clients/timeline/_note.html",
                          {"note": note, "by": author or note.source}) for note, author in rows]


@register_timeline_source
def wishlist_additions(client_id: int, limit: int | None) -> list[TimelineEntry]:
    rows = db.session.execute(
        sa.select(WishlistItem, User.name).outerjoin(User, User.id == WishlistItem.added_by_id)
        .where(WishlistItem.client_id == client_id)
        .order_by(WishlistItem.created_at.desc(), WishlistItem.id.desc()).limit(limit)
    ).all()
    return [TimelineEntry(item.created_at, "wishlist", "clients/timeline/_wishlist.html",
                          {"item": item, "added_by": added_by}) for item, added_by in rows]
