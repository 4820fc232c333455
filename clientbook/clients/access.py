"""Who may see which clients: the one place every client route asks.

By default the shop keeps a store book: every associate finds and opens every
client, so a walk-in is found whoever looks after them. A shop can be strict
(Shop.associates_see_all_clients off): associates then open their own clients
and the unassigned ones (so those can be claimed); search still says that
someone else's client exists and who to ask. Managers and owners see the whole book.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort
from flask_login import current_user

from clientbook.extensions import db
from clientbook.models import Client, Shop, User
from clientbook.shop import current_shop


def sees_whole_book(user: User, shop: Shop | None) -> bool:
    return user.is_manager or shop is None or bool(shop.associates_see_all_clients)


def visible_clients_filter(user: User, shop: Shop | None) -> sa.ColumnElement[bool]:
    """A WHERE expression limiting Client rows to those this user may open."""
    if sees_whole_book(user, shop):
        return sa.true()
    return sa.or_(Client.assigned_to_id == user.id, Client.assigned_to_id.is_(None))


def can_open_client(user: User, client: Client, shop: Shop | None) -> bool:
    return sees_whole_book(user, shop) or client.assigned_to_id in (user.id, None)


def get_client_or_404(client_id: int) -> Client:
    """The client, or 404 when it does not exist or the signed-in user may not open it.

    Both answer the same, so a strict shop's cards can't be probed for existence by id.
    """
    client = db.session.get(Client, client_id)
    if client is None or not can_open_client(current_user, client, current_shop()):
        abort(404)
    return client
