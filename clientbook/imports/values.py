"""Turning one CSV cell into a value: dates, consent, tags, quantities (money: clientbook.money).

Every parser takes the raw text and returns the value, or raises BadValue with a
sentence a shop owner understands.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from clientbook.tags import tag_key


class BadValue(ValueError):
    pass


@dataclass(frozen=True)
class DateValue:
    """A day in the year, with the year when known (birthdays are often year-less)."""

    month: int
    day: int
    year: int | None = None

    def iso(self) -> str:
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}" if self.year else f"--{self.month:02d}-{self.day:02d}"


def clean_cell(raw: str | None) -> str:
    """Trimmed text. A leading apostrophe that protected a number or formula in a spreadsheet is dropped."""
    value = (raw or "").strip()
    if len(value) > 1 and value[0] == "'" and value[1] in "=+-@0123456789":
        value = value[1:]
    return value


# ---- dates -------------------------------------------------------------------------

_MONTHS = {name: number for number, names in enumerate(
    (("jan", "january", "janv", "janvier"), ("feb", "february", "fev", "fevr", "février", "fevrier", "févr"),
     ("mar", "march", "mars"), ("apr", "april", "avr", "avril"), ("may", "mai"),
     ("jun", "june", "juin"), ("jul", "july", "juil", "juillet"), ("aug", "august", "aout", "août"),
     ("sep", "sept", "september", "septembre"), ("oct", "october", "octobre"),
     ("nov", "november", "novembre"), ("dec", "december", "déc", "decembre", "décembre")), start=1)
    for name in names}

_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T ].*)?$")
_YEARLESS_ISO = re.compile(r"^(?:0000-|--|-)(\d{1,2})-(\d{1,2})$")
_NUMERIC = re.compile(r"^(\d{1,2})[-/.](\d{1,2})(?:[-/.](\d{2}|\d{4}))?$")
_WORDY = re.compile(r"^(?:(\d{1,2})\s+([^\W\d_]+)\.?|([^\W\d_]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?),?(?:\s+(\d{4}))?$")

# Countries that write month before day (05/17/1985).
MONTH_FIRST_COUNTRIES = {"US", "PH", "FM", "MH", "PW", "CA"}


def parse_date(raw: str, country: str = "FR") -> DateValue | None:
    """Many shapes: 1985-05-17, 0000-05-17, --05-17, 05-17, 17/05/1985 (05/17/1985 in the US), 17 May.

    Numeric day/month order follows the shop's country unless one part is above 12.
    """
    text = clean_cell(raw)
    if not text:
        return None
    month = day = year = None
    if match := _ISO.match(text):
        year, month, day = (int(part) for part in match.groups())
        if year == 0:
            year = None
    elif match := _YEARLESS_ISO.match(text):
        month, day = int(match.group(1)), int(match.group(2))
    elif match := _NUMERIC.match(text):
        first, second = int(match.group(1)), int(match.group(2))
        year = int(match.group(3)) if match.group(3) else None
        if year is not None and year < 100:
            year += 1900 if year > (date.today().year % 100) else 2000
        month_first = country.upper() in MONTH_FIRST_COUNTRIES or match.group(3) is None and "-" in text
        if first > 12 >= second:
            month_first = False
        elif second > 12 >= first:
            month_first = True
        month, day = (first, second) if month_first else (second, first)
    elif match := _WORDY.match(text.lower()):
        day_text, month_text = (match.group(1), match.group(2)) if match.group(1) else (match.group(4), match.group(3))
        month = _MONTHS.get(month_text.strip("."))
        day = int(day_text)
        year = int(match.group(5)) if match.group(5) else None
    if month is None:
        raise BadValue(f"“{text}” is not a date we can read (use YYYY-MM-DD, or MM-DD without a year).")
    try:
        date(year or 2000, month, day)  # 2000 is a leap year: 29 February stays valid without a year
    except ValueError:
        raise BadValue(f"“{text}” is not a real date.") from None
    if year is not None and not 1900 <= year <= date.today().year + 1:
        raise BadValue(f"“{text}” has an unlikely year.")
    return DateValue(month=month, day=day, year=year)


def parse_day(raw: str, country: str = "FR") -> date | None:
    """A full calendar date (purchases): the year is required."""
    value = parse_date(raw, country)
    if value is None:
        return None
    if value.year is None:
        raise BadValue(f"“{clean_cell(raw)}” has no year.")
    return date(value.year, value.month, value.day)


# ---- consent ------------------------------------------------------------------------

_YES = {"yes", "y", "true", "t", "1", "x", "oui", "subscribed", "opted in", "opt in", "opted_in", "accepted", "confirmed"}
_WITHDRAWN = {"unsubscribed", "opted out", "opt out", "opted_out", "withdrawn", "revoked"}
_NO = {"", "no", "n", "false", "f", "0", "non", "not subscribed", "not_subscribed", "never subscribed",
       "pending", "invalid", "redacted", "none", "null"}


def parse_consent(raw: str) -> bool | None:
    """True: opted in. False: explicitly withdrew. None: no consent recorded (plain "no" or empty).

    A plain "no" in a POS export only means the POS never asked; it must not erase a
    consent the client gave in the shop. An explicit unsubscribe must.
    """
    text = " ".join(clean_cell(raw).lower().replace("-", " ").split())
    if text in _YES:
        return True
    if text in _WITHDRAWN:
        return False
    if text in _NO:
        return None
    raise BadValue(f"“{clean_cell(raw)}” is not yes/no.")


def parse_unsubscribed_flag(raw: str) -> bool | None:
    """Square's older "Email Unsubscribed" column: true means the client opted out."""
    text = clean_cell(raw).lower()
    if text in ("true", "yes", "1", "y"):
        return False
    return None


# ---- tags, quantities -------------------------------------------------------------

_TAG_SPLIT = re.compile(r"[,;]")
MAX_TAG_LENGTH = 60


def parse_tags(raw: str) -> list[str]:
    seen: dict[str, str] = {}
    for part in _TAG_SPLIT.split(clean_cell(raw)):
        tag = " ".join(part.split())[:MAX_TAG_LENGTH]
        if tag and tag_key(tag) not in seen:
            seen[tag_key(tag)] = tag
    return list(seen.values())


def parse_quantity(raw: str) -> int:
    text = clean_cell(raw)
    if not text:
        return 1
    try:
        quantity = int(Decimal(text.replace(",", ".")))
    except InvalidOperation:
        raise BadValue(f"“{text}” is not a quantity.") from None
    if quantity < 1 or quantity > 100000:
        raise BadValue(f"“{text}” is not a sensible quantity.")
    return quantity


def parse_count(raw: str) -> int | None:
    """A whole number of orders or visits ("4", "4.0", "1 204"). None when empty."""
    text = "".join(clean_cell(raw).split()).replace(",", "")
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise BadValue(f"“{raw.strip()}” is not a number of orders.") from None
    if not number.is_finite() or number != number.to_integral_value() or number < 0:
        raise BadValue(f"“{raw.strip()}” is not a number of orders.")
    return int(number)


def format_cents(cents: int | Decimal | None) -> str:
    cents = int(cents or 0)  # PostgreSQL's SUM() over integers returns a Decimal
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"
