"""The client book: list, search, the client card and its edits, merge, assignment."""
from __future__ import annotations

import zoneinfo
from datetime import date, datetime

from flask import Blueprint, Flask

from clientbook.contacts import format_phone

bp = Blueprint("clients", __name__, url_prefix="/clients")


def client_day(value: date | datetime | None) -> str:
    """'3 Mar 2025' (dates and naive-UTC instants alike; instants in the shop's time zone)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = _shop_local(value)
    return f"{value.day} {value:%b %Y}"


def client_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    local = _shop_local(value)
    return f"{local.day} {local:%b %Y, %H:%M}"


def _shop_local(value: datetime) -> datetime:
    from clientbook.auth import current_shop

    shop = current_shop()
    tz = zoneinfo.ZoneInfo(shop.timezone if shop else "UTC")
    return value.replace(tzinfo=zoneinfo.ZoneInfo("UTC")).astimezone(tz)


def init_app(app: Flask) -> None:
    from clientbook.clients import card_views, views  # noqa: F401  (routes register on bp)

    app.register_blueprint(bp)
    app.jinja_env.filters.update(phone=format_phone, client_day=client_day, client_datetime=client_datetime)
