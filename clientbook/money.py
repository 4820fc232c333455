"""Money as people type it and read it: one parser, one formatter, both in the shop's locale.

Amounts are stored as integer cents (hundredths of the currency unit). Parsing reads the
shop's locale strictly, then accepts what no locale could read otherwise: both separators
("1.234,50", "1,234.50": the last one is the decimal one) or one separator followed by one or
two digits ("12,50", "1250.5"). What stays ambiguous is the locale's call: "1.234" is 1 234
in Germany and refused in the US (more decimals than cents); nothing is guessed.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import (
    NumberFormatError, format_compact_currency, format_compact_decimal, format_currency, format_decimal,
    get_group_symbol, parse_decimal,
)

MAX_CENTS = 10**14 - 1  # a trillion in any currency: past this it is a typo, not a sale
MAX_LENGTH = 40
_MINUS_SIGNS = ("-", "\u2212")  # hyphen-minus and the typographic minus
# Spaces and apostrophes people put between thousands (narrow no-break space in French, ' in Swiss).
_GROUPING = re.compile(r"[\s'\u2019\u00a0\u202f\u2009]+")
_NUMBER = re.compile(r"^[\d.,\s'\u2019]*\d[\d.,\s'\u2019]*$")
# Readable in one way only, whatever the locale: "1.234,50" / "1,234.50" / "12,50" / "1250.5".
_DOT_DECIMAL = re.compile(r"^\d{1,3}(,\d{3})+\.\d+$|^\d+\.\d{1,2}$")
_COMMA_DECIMAL = re.compile(r"^\d{1,3}(\.\d{3})+,\d+$|^\d+,\d{1,2}$")


def parse_money(text: str, locale: str | None = None) -> int:
    """Cents from what a person typed or a file holds: '1 250,50 €' (fr), '$1,250.50' (en), '(12.00)' = -1200.

    Raises ValueError with a sentence that can be shown next to the field.
    """
    from clientbook.shop import shop_locale

    locale = locale or shop_locale()
    original = (text or "").strip()
    if not original:
        raise ValueError("Enter an amount.")
    if len(original) > MAX_LENGTH:
        raise ValueError("That amount is too long.")
    value = original
    negative = False
    if value.startswith("(") and value.endswith(")"):  # accountants' negative
        negative, value = True, value[1:-1]
    # Currency symbols and codes (€, $, EUR, CHF, kr) may stand on either side, a sign too.
    value = _strip_currency(value)
    if value.startswith(_MINUS_SIGNS) or value.endswith(_MINUS_SIGNS):
        negative = not negative
        value = value[1:] if value.startswith(_MINUS_SIGNS) else value[:-1]
    elif value.startswith("+"):
        value = value[1:]
    value = _strip_currency(value)
    if not _NUMBER.match(value):
        raise ValueError(f"“{original}” is not an amount. {_example(locale)}")
    try:
        amount = parse_decimal(_GROUPING.sub(get_group_symbol(locale), value), locale=locale, strict=True)
    except NumberFormatError:
        amount = _unambiguous(_GROUPING.sub("", value))
        if amount is None:
            raise ValueError(f"“{original}” is not an amount. {_example(locale)}") from None
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise ValueError(f"“{original}” has more decimals than cents. {_example(locale)}")
    if abs(cents) > MAX_CENTS:
        raise ValueError(f"“{original}” is too large an amount.")
    cents = int(cents)
    return -cents if negative else cents


def _strip_currency(value: str) -> str:
    """Without the currency symbol or code and spaces around the number: '€ 12', '12 EUR', 'kr 12'."""
    def is_currency(ch: str) -> bool:
        return ch.isalpha() or ch.isspace() or unicodedata.category(ch) == "Sc"

    start, end = 0, len(value)
    while start < end and is_currency(value[start]):
        start += 1
    while end > start and is_currency(value[end - 1]):
        end -= 1
    return value[start:end]


def _unambiguous(value: str) -> Decimal | None:
    if _DOT_DECIMAL.match(value):
        return Decimal(value.replace(",", ""))
    if _COMMA_DECIMAL.match(value):
        return Decimal(value.replace(".", "").replace(",", "."))
    return None


def _example(locale: str) -> str:
    return f"Write it like {format_decimal(Decimal('1250.50'), format='#,##0.00', locale=locale)}."


def format_money(cents: int | Decimal | None, currency: str | None = None, locale: str | None = None,
                 compact: bool = False) -> str:
    """'€1,250.50' (en) or '1 250,50 €' (fr): the shop's currency and locale unless given.

    compact, for narrow rows: whole units, thousands and millions shortened ('$1.3K', '1,3 k €').
    """
    from clientbook.shop import shop_currency, shop_locale

    amount = Decimal(int(cents or 0)) / 100  # PostgreSQL's SUM() over integers returns a Decimal
    currency = currency or shop_currency()
    locale = locale or shop_locale()
    if compact:
        if abs(amount) < 1000:
            amount = amount.to_integral_value(ROUND_HALF_UP)
        if not currency:
            return format_compact_decimal(amount, locale=locale, fraction_digits=1)
        return format_compact_currency(amount, currency, locale=locale, fraction_digits=1)
    if not currency:
        return format_decimal(amount, format="#,##0.00", locale=locale)
    return _currency_text(int(cents or 0), currency, locale)


@functools.lru_cache(maxsize=2048)
def _currency_text(cents: int, currency: str, locale: str) -> str:
    # Babel works through the locale's pattern on every call (~50 µs); a card shows dozens of
    # amounts, a purchase's total and its one item alike, and the same prices recur across cards.
    return format_currency(Decimal(cents) / 100, currency, locale=locale)


def format_money_input(cents: int | Decimal | None, locale: str | None = None) -> str:
    """An amount as a form field shows it for editing: '1250,50' (fr), '1250.50' (en), '' for none.

    No currency and no grouping, only the locale's decimal sign, so what the field shows is what
    parse_money reads back to the same cents.
    """
    from clientbook.shop import shop_locale

    if cents is None:
        return ""
    amount = Decimal(int(cents)) / 100
    return format_decimal(amount, format="0.00", locale=locale or shop_locale())
