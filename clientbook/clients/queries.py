"""Read-side helpers for the card and the list: one query each, nothing lazy in loops.

The card's own data object is clientbook/clients/card.py."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from clientbook.extensions import db
from clientbook.models import Client, PreferenceKey, Purchase
from clientbook.models.clients import client_sort_name
from clientbook.tags import distinct_tags
from clientbook.text import fold


@dataclass
class Summary:
    spend_cents: int  # purchases recorded here plus the history before the import
    visits: int
    last_purchase_on: date | None
    prior_spent_cents: int = 0  # the point of sale's totals before the import
    prior_orders: int = 0
    prior_as_of: date | None = None


def lifetime_spend_cents() -> sa.ColumnElement[int]:
    """The Client row's lifetime spend in SQL: purchases recorded here plus the history before the import.

    The one definition the card, the list's rows and the spend filter share.
    """
    recorded = (sa.select(sa.func.coalesce(sa.func.sum(Purchase.total_cents), 0))
                .where(Purchase.client_id == Client.id).scalar_subquery())
    return recorded + Client.prior_spent_cents


def purchase_summary(client_id: int) -> Summary:
    visits, last = db.session.execute(
        sa.select(sa.func.count(Purchase.id), sa.func.max(Purchase.purchased_on)).where(Purchase.client_id == client_id)
    ).one()
    spend, prior_spent, prior_orders, prior_as_of = db.session.execute(
        sa.select(lifetime_spend_cents(), Client.prior_spent_cents, Client.prior_orders, Client.prior_as_of)
        .where(Client.id == client_id)
    ).one()
    return Summary(int(spend or 0), int(visits or 0) + prior_orders, last, prior_spent, prior_orders, prior_as_of)


def active_preference_keys() -> list[PreferenceKey]:
    return db.session.scalars(
        sa.select(PreferenceKey).where(PreferenceKey.active.is_(True)).order_by(PreferenceKey.position, PreferenceKey.id)
    ).all()


def all_tags() -> list[str]:
    return distinct_tags()


def possible_duplicates(client: Client, limit: int = 10) -> list[Client]:
    """Other live clients with the same email, phone, or the same full name (accent/case-insensitive).

    One statement: each kind of match is an indexed lookup (email, phone, and the stored folded
    name, Client.sort_name), the name then checked whole with fold().
    """
    matches = []
    if client.email:
        matches.append(Client.email == client.email)
    if client.phone:
        matches.append(Client.phone == client.phone)
    if client.first_name and client.last_name and fold(client.first_name).strip() and fold(client.last_name).strip():
        matches.append(sa.and_(
            Client.sort_name == client_sort_name(client.first_name, client.last_name),
            sa.func.fold(Client.last_name) == fold(client.last_name),
            sa.func.fold(Client.first_name) == fold(client.first_name)))
    if not matches:
        return []
    others = [Client.id != client.id] if client.id is not None else []
    return db.session.scalars(
        sa.select(Client).where(sa.or_(*matches), Client.merged_into_id.is_(None), *others)
        .order_by(Client.sort_name, Client.id).limit(limit)
    ).all()
