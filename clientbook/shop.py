"""The shop this install serves, and its clock: its zone, its now, its today, its locale.

Instants are stored as naive UTC everywhere; "today" is always the shop's calendar day.
"""
from __future__ import annotations

import functools
import zoneinfo
from datetime import date, datetime, timezone

import phonenumbers
import sqlalchemy as sa
from babel import Locale, UnknownLocaleError
from flask import current_app, g, has_app_context, has_request_context

from clientbook.extensions import db
from clientbook.text import fold
from clientbook.models import Shop, utcnow

DEFAULT_LOCALE = "en_US"
UTC = zoneinfo.ZoneInfo("UTC")

# Every country phone numbers can be read for, by its name ("Åland Islands" with the As).
COUNTRY_CHOICES = sorted(
    ((code, f"{Locale('en').territories.get(code, code)} (+{phonenumbers.country_code_for_region(code)})")
     for code in phonenumbers.SUPPORTED_REGIONS),
    key=lambda choice: fold(choice[1]),
)
CURRENCY_CHOICES = [(c, c) for c in ("EUR", "USD", "GBP", "CAD", "AUD", "CHF", "JPY", "SEK", "NOK", "DKK", "NZD")]


def timezone_choices() -> list[tuple[str, str]]:
    return [(tz, tz) for tz in sorted(zoneinfo.available_timezones()) if "/" in tz and not tz.startswith("Etc/")]


def current_shop() -> Shop | None:
    """The shop's one row (None before the first-run set-up), read once per request or task."""
    if g.get("shop") is None:  # not cached while there is none: set-up may create it mid-request
        g.shop = db.session.scalar(sa.select(Shop).order_by(Shop.id).limit(1))
    return g.shop


def shop_zone(shop: Shop | None = None) -> zoneinfo.ZoneInfo:
    """The shop's time zone; UTC before set-up or if the stored name is unknown."""
    shop = shop or current_shop()
    try:
        return zoneinfo.ZoneInfo(shop.timezone) if shop and shop.timezone else UTC
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return UTC


def shop_now(now_utc: datetime | None = None) -> datetime:
    """Now (or the given naive-UTC instant) as an aware datetime in the shop's zone."""
    return as_shop_time(now_utc or utcnow())


def as_shop_time(instant_utc: datetime) -> datetime:
    """A stored (naive UTC) instant as the shop's wall-clock time (aware)."""
    return instant_utc.replace(tzinfo=timezone.utc).astimezone(shop_zone())


def shop_today(now_utc: datetime | None = None) -> date:
    """The calendar day in the shop; within one request every caller sees the same day."""
    if now_utc is not None or not has_request_context():
        return shop_now(now_utc).date()
    if "shop_today" not in g:
        g.shop_today = shop_now().date()
    return g.shop_today


def shop_currency() -> str | None:
    shop = current_shop() if has_app_context() else None
    return shop.currency if shop else None


def shop_locale() -> str:
    """How the shop writes numbers: the LOCALE setting (CLIENTBOOK_LOCALE=fr_CH), else the usual
    language of the shop's country (FR -> fr_FR, US -> en_US, CH -> de_CH)."""
    if not has_app_context():
        return DEFAULT_LOCALE
    configured = current_app.config.get("LOCALE")
    if configured:
        return str(configured)
    shop = current_shop()
    return country_locale(shop.country) if shop and shop.country else DEFAULT_LOCALE


@functools.lru_cache(maxsize=32)
def country_locale(country: str) -> str:
    try:
        return str(Locale.parse(f"und_{country}"))
    except (UnknownLocaleError, ValueError):
        return DEFAULT_LOCALE
