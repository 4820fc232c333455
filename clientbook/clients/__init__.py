"""The client book: list, search, the client card and its edits, merge, assignment."""
from __future__ import annotations

from datetime import date, datetime

from flask import Blueprint, Flask

from clientbook.contacts import format_phone
from clientbook.shop import as_shop_time

bp = Blueprint("clients", __name__, url_prefix="/clients")


def client_day(value: date | datetime | None) -> str:
    """'3 Mar 2025' (dates and naive-UTC instants alike; instants in the shop's time zone)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = as_shop_time(value)
    return f"{value.day} {value:%b %Y}"


def client_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    local = as_shop_time(value)
    return f"{local.day} {local:%b %Y, %H:%M}"


def init_app(app: Flask) -> None:
    from clientbook.clients import card_views, views  # noqa: F401  (routes register on bp)

    app.register_blueprint(bp)
    app.jinja_env.filters.update(phone=format_phone, client_day=client_day, client_datetime=client_datetime)
