"""Who may see which clients: the one place every client route asks.

Managers and owners see the whole book. Associates see the clients assigned to
them, unless the shop lets associates open every card (Shop.associates_see_all_clients).
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort
from flask_login import current_user

from clientbook.auth import current_shop
from clientbook.extensions import db
from clientbook.models import Client, Shop, User


def sees_whole_book(user: User, shop: Shop | None) -> bool:
    return user.is_manager or bool(shop and shop.associates_see_all_clients)


def visible_clients_filter(user: User, shop: Shop | None) -> sa.ColumnElement[bool]:
    """A WHERE expression limiting Client rows to those this user may open."""
    if sees_whole_book(user, shop):
        return sa.true()
    return Client.assigned_to_id == user.id


def can_open_client(user: User, client: Client, shop: Shop | None) -> bool:
    return sees_whole_book(user, shop) or client.assigned_to_id == user.id


def get_client_or_404(client_id: int) -> Client:
    """The client, or 404 when it does not exist and 403 when the signed-in user may not open it."""
    client = db.session.get(Client, client_id)
    if client is None:
        abort(404)
    if not can_open_client(current_user, client, current_shop()):
        abort(403)
    return client
