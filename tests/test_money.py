"""One parser and one formatter for money, in the shop's locale: tables of cases."""
import pytest

from clientbook.extensions import db
from clientbook.models import Shop
from clientbook.money import format_money, format_money_input, parse_money
from clientbook.shop import shop_locale


@pytest.mark.parametrize("text, locale, cents", [
    # the cases the copies disagreed on
    ("(12.00)", "en_US", -1200),  # accountants' negative
    ("(€12.00)", "en_US", -1200),
    ("1.234", "de_DE", 123400),  # a thousands dot in German...
    ("1.234,50", "de_DE", 123450),
    ("1,234", "en_US", 123400),  # ...a thousands comma in English
    # symbols and codes on either side, spaces of every kind between thousands
    ("$1,250.50", "en_US", 125050),
    ("1 250,50 €", "fr_FR", 125050),
    ("1\u202f250,50\u00a0€", "fr_FR", 125050),  # as French formatting writes it
    ("EUR 1250", "fr_FR", 125000),
    ("CHF 1'250.50", "de_CH", 125050),
    ("1’250.50", "de_CH", 125050),
    ("kr 1 250,50", "sv_SE", 125050),
    ("¥1,234", "ja_JP", 123400),
    ("1 234.50", "en_US", 123450),
    # unambiguous whatever the locale: both separators, or one with one or two digits after it
    ("1,250.00", "fr_FR", 125000),
    ("1.250,00", "en_US", 125000),
    ("€ 650,00", "en_US", 65000),
    ("12,5", "en_US", 1250),
    ("1250.5", "de_DE", 125050),
    # signs
    ("-12.50", "en_US", -1250),
    ("−12.50", "en_US", -1250),  # typographic minus
    ("12.50-", "en_US", -1250),
    ("-€12.00", "en_US", -1200),
    ("+5", "en_US", 500),
    # plain numbers
    ("45", "en_US", 4500),
    ("0", "en_US", 0),
    (".5", "en_US", 50),
    ("12.5000", "en_US", 1250),  # trailing zeros are not extra cents
])
def test_parse_money(text, locale, cents):
    assert parse_money(text, locale) == cents


@pytest.mark.parametrize("text, locale, message", [
    ("1,2345", "en_US", "is not an amount"),  # a thousands comma needs three digits after it
    ("1,2345", "fr_FR", "more decimals than cents"),
    ("1.234", "en_US", "more decimals than cents"),  # 1.234 dollars: not a price
    ("1,234", "fr_FR", "more decimals than cents"),
    ("", "en_US", "Enter an amount"),
    ("   ", "en_US", "Enter an amount"),
    ("abc", "en_US", "is not an amount"),
    ("€", "en_US", "is not an amount"),
    ("-", "en_US", "is not an amount"),
    ("--5", "en_US", "is not an amount"),
    ("1e5", "en_US", "is not an amount"),
    ("NaN", "en_US", "is not an amount"),
    ("12..5", "en_US", "is not an amount"),
    ("1,2,3", "en_US", "is not an amount"),
    ("99999999999999", "en_US", "too large"),
    ("1" * 41, "en_US", "too long"),
])
def test_parse_money_refuses_with_a_sentence(text, locale, message):
    with pytest.raises(ValueError, match=message):
        parse_money(text, locale)


def test_a_refusal_shows_how_to_write_it_in_the_locale():
    with pytest.raises(ValueError, match="Write it like 1\u202f250,50"):
        parse_money("douze", "fr_FR")
    with pytest.raises(ValueError, match="Write it like 1,250.50"):
        parse_money("twelve", "en_US")


@pytest.mark.parametrize("cents, currency, locale, text", [
    (125050, "EUR", "fr_FR", "1\u202f250,50\u00a0€"),
    (125050, "EUR", "en_US", "€1,250.50"),
    (-125050, "USD", "en_US", "-$1,250.50"),
    (125050, "CHF", "de_CH", "CHF\u00a01'250.50"),
    (123400, "JPY", "ja_JP", "￥1,234"),
    (5, None, "en_US", "0.05"),
    (None, "EUR", "de_DE", "0,00\u00a0€"),
])
def test_format_money(cents, currency, locale, text):
    assert format_money(cents, currency, locale) == text


@pytest.mark.parametrize("cents, currency, locale, text", [
    (95050, "EUR", "fr_FR", "951\u00a0€"),
    (125050, "EUR", "fr_FR", "1,3\u00a0k\u00a0€"),
    (3150000, "USD", "en_US", "$31.5K"),
    (123456789, "EUR", "en_US", "€1.2M"),
    (0, "EUR", "de_DE", "0\u00a0€"),
    (125050, None, "en_US", "1.3K"),
])
def test_format_money_compact(cents, currency, locale, text):
    assert format_money(cents, currency, locale, compact=True) == text


@pytest.mark.parametrize("cents, locale, text", [
    (1250, "fr_FR", "12,50"),
    (125050, "de_DE", "1250,50"),  # no grouping: a field holds what a person would type
    (125050, "en_US", "1250.50"),
    (125050, "de_CH", "1250.50"),
    (-1250, "fr_FR", "-12,50"),
    (5, "fr_FR", "0,05"),
    (0, "en_US", "0.00"),
    (None, "fr_FR", ""),
])
def test_format_money_input_reads_back_to_the_same_cents(cents, locale, text):
    assert format_money_input(cents, locale) == text
    if cents is not None:
        assert parse_money(text, locale) == cents


@pytest.mark.parametrize("country, configured, locale", [
    ("FR", None, "fr_FR"), ("US", None, "en_US"), ("CH", None, "de_CH"), ("DE", None, "de_DE"),
    ("FR", "en_GB", "en_GB"),  # the LOCALE setting wins
])
def test_the_shop_locale_comes_from_its_country_or_the_setting(app, country, configured, locale):
    app.config["LOCALE"] = configured
    with app.app_context():
        db.session.add(Shop(name="Maison Perle", country=country, timezone="Europe/Paris", currency="EUR"))
        db.session.commit()
        assert shop_locale() == locale


def test_defaults_come_from_the_shop(app):
    with app.app_context():
        db.session.add(Shop(name="Maison Perle", country="DE", timezone="Europe/Berlin", currency="EUR"))
        db.session.commit()
        assert parse_money("1.234") == 123400
        assert format_money(123450) == "1.234,50\u00a0€"
