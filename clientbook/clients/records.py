"""Changes to a client, as plain functions: views, imports and tests share them.

Each works inside the caller's transaction (the caller commits), keeps the
search index in step, and sends the signals other features listen to.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import sqlalchemy as sa
from flask import current_app

from clientbook.contacts import normalize_email, normalize_phone
from clientbook.extensions import db
from clientbook.models import (
    Client, ClientTag, ImportantDate, Note, Preference, Purchase, PurchaseItem, Reminder, Shop, User, WishlistItem,
    utcnow,
)
from clientbook.models.reminders import OPEN_STATES
from clientbook.search_index import refresh_search_tokens
from clientbook.signals import client_changed, clients_reassigned, purchase_recorded
from clientbook.tags import shop_spellings, tag_key


def _app():
    return current_app._get_current_object()


def set_contact(client: Client, shop: Shop, *, first_name: str, last_name: str, email: str | None,
                phone: str | None, address: str = "", preferred_channel: str | None = None) -> None:
    """Names and contact details, normalised (email lower-case; phone E.164 when it parses)."""
    before = (client.email, client.phone, client.address, client.preferred_channel)
    client.first_name = (first_name or "").strip()
    client.last_name = (last_name or "").strip()
    client.email = normalize_email(email)
    client.phone, client.phone_valid = normalize_phone(phone, shop.country)
    client.address = (address or "").strip()
    client.preferred_channel = preferred_channel or None
    db.session.flush()
    refresh_search_tokens([client.id])
    if (client.email, client.phone, client.address, client.preferred_channel) != before:
        client_changed.send(_app(), client_id=client.id)


def set_tags(client: Client, tags: Iterable[str]) -> None:
    wanted = {tag_key(tag): tag for tag in shop_spellings(tags)}
    for existing in list(client.tags):
        if tag_key(existing.tag) not in wanted:
            client.tags.remove(existing)
    have = {tag_key(tag) for tag in client.tag_names}
    for key, tag in wanted.items():
        if key not in have:
            client.tags.append(ClientTag(tag=tag))
    db.session.flush()
    refresh_search_tokens([client.id])


def set_consent(client: Client, channel: str, opted_in: bool, source: str) -> None:
    """Record an explicit choice; its time changes only when the state or its source changes."""
    source = (source or "").strip()
    state_field, at_field, source_field = f"{channel}_opt_in", f"{channel}_opt_in_at", f"{channel}_opt_in_source"
    if getattr(client, state_field) == opted_in and getattr(client, source_field) == source:
        return
    setattr(client, state_field, opted_in)
    setattr(client, at_field, utcnow())
    setattr(client, source_field, source)
    db.session.flush()
    client_changed.send(_app(), client_id=client.id)


def set_preferences(client: Client, values: dict[int, str]) -> None:
    """key_id -> value; an empty value removes the preference."""
    current = {p.key_id: p for p in client.preferences}
    for key_id, raw in values.items():
        value = (raw or "").strip()
        existing = current.get(key_id)
        if not value:
            if existing is not None:
                client.preferences.remove(existing)
        elif existing is None:
            client.preferences.append(Preference(key_id=key_id, value=value))
        else:
            existing.value = value
    db.session.flush()


IDS_PER_STATEMENT = 500  # statements never grow with the selection


def assign(client_ids: list[int], user_id: int | None) -> int:
    """Hand these clients to someone (or nobody); returns how many changed hands.

    A few set-based UPDATEs and one signal for the whole batch: moving 1 000 clients is one
    short write, not a thousand (the reminder receiver takes the list).
    """
    ids = sorted({int(i) for i in client_ids})
    changed: list[int] = []
    for start in range(0, len(ids), IDS_PER_STATEMENT):
        batch = ids[start:start + IDS_PER_STATEMENT]
        changed.extend(db.session.scalars(
            sa.select(Client.id).where(Client.id.in_(batch), Client.assigned_to_id.is_distinct_from(user_id))))
    for start in range(0, len(changed), IDS_PER_STATEMENT):
        batch = changed[start:start + IDS_PER_STATEMENT]
        _hand_over_open_reminders(Client.id.in_(batch), user_id)
        db.session.execute(sa.update(Client).where(Client.id.in_(batch))
                           .values(assigned_to_id=user_id, updated_at=utcnow())
                           .execution_options(synchronize_session="fetch"))
    if changed:
        clients_reassigned.send(_app(), client_ids=changed)
    return len(changed)


def reassign_all(from_user_id: int, to_user_id: int | None) -> int:
    """Every live client of one person to another (someone leaves): one UPDATE, one signal."""
    mine = sa.and_(Client.assigned_to_id == from_user_id, Client.merged_into_id.is_(None))
    changed = list(db.session.scalars(sa.select(Client.id).where(mine).order_by(Client.id)))
    if not changed or from_user_id == to_user_id:
        return 0
    _hand_over_open_reminders(mine, to_user_id)
    db.session.execute(sa.update(Client).where(mine).values(assigned_to_id=to_user_id, updated_at=utcnow())
                       .execution_options(synchronize_session=False))
    db.session.expire_all()
    clients_reassigned.send(_app(), client_ids=changed)
    return len(changed)


def _hand_over_open_reminders(clients: sa.ColumnElement[bool], user_id: int | None) -> None:
    """Open reminders (follow-ups included) held by a client's previous associate go to the new one.

    Otherwise the old associate keeps the client's name, reason and last purchase on their Today.
    Runs before the clients change hands: the previous associate is read from the client row.
    """
    previous = sa.select(Client.assigned_to_id).where(Client.id == Reminder.client_id).scalar_subquery()
    db.session.execute(
        sa.update(Reminder)
        .where(Reminder.client_id.in_(sa.select(Client.id).where(clients)), Reminder.state.in_(OPEN_STATES),
               Reminder.owner_id == previous)
        .values(owner_id=user_id)
        .execution_options(synchronize_session=False)
    )


def add_date(client: Client, *, kind: str, month: int, day: int, year: int | None = None, label: str = "",
             for_whom: str = "") -> ImportantDate:
    important = ImportantDate(kind=kind, month=month, day=day, year=year,
                              label=(label or "").strip() if kind == "custom" else "",
                              for_whom=(for_whom or "").strip())
    client.important_dates.append(important)
    db.session.flush()
    client_changed.send(_app(), client_id=client.id)
    return important


def remove_date(client: Client, important: ImportantDate) -> None:
    client.important_dates.remove(important)
    db.session.flush()
    client_changed.send(_app(), client_id=client.id)


def add_purchase(client: Client, *, purchased_on: date, associate_id: int | None,
                 items: list[dict]) -> Purchase:
    """items: dicts with description, category, sku, amount_cents (the line's amount)."""
    purchase = Purchase(client_id=client.id, purchased_on=purchased_on, associate_id=associate_id,
                        total_cents=sum(i["amount_cents"] for i in items))
    purchase.items = [PurchaseItem(description=i["description"].strip(), category=(i.get("category") or "").strip(),
                                   sku=(i.get("sku") or "").strip(), amount_cents=i["amount_cents"]) for i in items]
    db.session.add(purchase)
    db.session.flush()
    purchase_recorded.send(_app(), client_id=client.id, purchase_id=purchase.id)
    return purchase


def add_note(client: Client, author: User | None, body: str) -> Note:
    note = Note(client_id=client.id, author_id=author.id if author else None, body=body.strip())
    db.session.add(note)
    db.session.flush()
    return note


def add_wish(client: Client, author: User | None, description: str, note: str = "") -> WishlistItem:
    item = WishlistItem(client_id=client.id, added_by_id=author.id if author else None,
                        description=description.strip(), note=(note or "").strip())
    db.session.add(item)
    db.session.flush()
    return item


def set_archived(client: Client, archived: bool) -> None:
    if client.merged_into_id is not None:
        return  # a merged card stays archived
    client.archived_at = (client.archived_at or utcnow()) if archived else None
    db.session.flush()
