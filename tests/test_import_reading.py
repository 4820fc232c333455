"""Reading uploaded bytes and single cells: encodings, CSV shapes, dates, consent, money."""
import codecs
from pathlib import Path

import pytest

from clientbook.imports.formats import CLIENT_FIELDS, SHOPIFY, SQUARE, detect_client_format, guess_mapping
from clientbook.imports.reading import UnreadableFile, check_filename, parse
from clientbook.imports.values import (
    BadValue, DateValue, parse_consent, parse_date, parse_day, parse_quantity, parse_tags,
)

FIXTURES = Path(__file__).parent / "fixtures"


def test_utf8_bom_crlf_quoted_newlines_and_accents():
    table = parse((FIXTURES / "shopify_customers.csv").read_bytes())
    assert table.headers[0] == "Customer ID"  # the BOM is not part of the first header
    number, cells = table.rows[0]
    assert number == 2 and cells[1] == "Éloïse"
    assert cells[7] == "Apt 3, 2nd floor"
    assert cells[17] == "Loves pearls.\nRing size 52"
    assert detect_client_format(table) is SHOPIFY


def test_latin1_semicolons_are_read():
    table = parse((FIXTURES / "latin1_customers.csv").read_bytes())
    assert table.encoding == "windows-1252"
    assert table.headers[:2] == ["Prénom", "Nom"]
    assert table.rows[0][1][1] == "Müller"
    assert guess_mapping(table, CLIENT_FIELDS)["first_name"] == "Prénom"


def test_square_export_is_recognised():
    assert detect_client_format(parse((FIXTURES / "square_customers.csv").read_bytes())) is SQUARE


def test_utf16_with_bom():
    data = codecs.BOM_UTF16_LE + "First Name,Email\nZoë,zoe@example.com\n".encode("utf-16-le")
    assert parse(data).rows[0][1] == ["Zoë", "zoe@example.com"]


@pytest.mark.parametrize("data, message", [
    (b"", "empty"),
    (b"PK\x03\x04\x14\x00\x00\x00", "Excel"),
    (b"%PDF-1.7\n", "PDF"),
    (b"\x00\x01\x02\x03binary\x00stuff" * 10, "not a text file"),
    (bytes(range(1, 32)) * 40, "unknown encoding"),
])
def test_unreadable_files_say_why(data, message):
    with pytest.raises(UnreadableFile, match=message):
        parse(data)


def test_only_csv_names_are_accepted():
    check_filename("clients.CSV")
    with pytest.raises(UnreadableFile, match="Only CSV"):
        check_filename("clients.pdf")


@pytest.mark.parametrize("raw, country, expected", [
    ("1985-05-17", "FR", DateValue(5, 17, 1985)),
    ("0000-05-17", "FR", DateValue(5, 17)),
    ("--05-17", "FR", DateValue(5, 17)),
    ("05-17", "FR", DateValue(5, 17)),
    ("17/05/1985", "FR", DateValue(5, 17, 1985)),
    ("05/04/1985", "FR", DateValue(4, 5, 1985)),
    ("05/04/1985", "US", DateValue(5, 4, 1985)),
    ("05-17-1985", "FR", DateValue(5, 17, 1985)),
    ("17 May", "GB", DateValue(5, 17)),
    ("May 17, 1985", "US", DateValue(5, 17, 1985)),
    ("--02-29", "FR", DateValue(2, 29)),
    ("", "FR", None),
])
def test_dates(raw, country, expected):
    assert parse_date(raw, country) == expected


@pytest.mark.parametrize("raw", ["31/02/1990", "soon", "1985-13-40", "1700-01-01"])
def test_bad_dates(raw):
    with pytest.raises(BadValue):
        parse_date(raw, "FR")


def test_purchase_dates_need_a_year():
    assert parse_day("2024-03-15").isoformat() == "2024-03-15"
    with pytest.raises(BadValue, match="no year"):
        parse_day("03-15")


@pytest.mark.parametrize("raw, expected", [
    ("yes", True), ("TRUE", True), ("subscribed", True), ("no", None), ("", None), ("not_subscribed", None),
    ("unsubscribed", False), ("opted out", False),
])
def test_consent(raw, expected):
    assert parse_consent(raw) is expected


def test_tags_split_on_commas_and_semicolons():
    assert parse_tags(" VIP, bridal;watch collector ; vip,, ") == ["VIP", "bridal", "watch collector"]


def test_quantity():
    assert parse_quantity("") == 1 and parse_quantity("3") == 3
    with pytest.raises(BadValue):
        parse_quantity("many")
