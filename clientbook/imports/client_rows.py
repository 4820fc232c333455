"""Rows of a client file -> ClientRow values, with a Problem for every row we skip or change.

Nothing here touches the database, so the preview and the CLI dry run can show
exactly what an import would do.
"""
from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from clientbook.contacts import InvalidEmail, normalize_email, normalize_phone
from clientbook.imports.formats import Format
from clientbook.imports.reading import Table
from clientbook.imports.values import (
    BadValue, DateValue, clean_cell, parse_consent, parse_date, parse_count, parse_tags,
    parse_unsubscribed_flag,
)
from clientbook.money import parse_money


@dataclass
class Problem:
    row: int
    message: str
    skipped: bool  # True: the row is left out; False: imported, with this part left out or kept as typed
    who: str = ""  # name and email as the file gives them, so a person can find the row


@dataclass
class ClientRow:
    row: int
    first_name: str = ""
    last_name: str = ""
    email: str | None = None
    phone: str | None = None
    phone_valid: bool = False
    address: str = ""
    note: str = ""
    tags: list[str] = field(default_factory=list)
    email_opt_in: bool | None = None  # see values.parse_consent
    sms_opt_in: bool | None = None
    birthday: DateValue | None = None
    anniversary: DateValue | None = None
    external_ids: list[tuple[str, str]] = field(default_factory=list)  # (source, value)
    clientbook_id: int | None = None
    # The point of sale's totals before this import (Shopify "Total Spent" / "Total Orders").
    prior_spent_cents: int | None = None
    prior_orders: int | None = None

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


@dataclass
class ClientReading:
    format: Format
    rows: list[ClientRow]
    problems: list[Problem]
    total_rows: int

    @property
    def skipped(self) -> int:
        return len({p.row for p in self.problems if p.skipped})

    @property
    def warnings(self) -> int:
        return sum(1 for p in self.problems if not p.skipped)


_LOCAL_PART = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")


@functools.lru_cache(maxsize=4096)
def _valid_domain(domain: str) -> str | None:
    try:
        return normalize_email(f"a@{domain}").partition("@")[2]
    except InvalidEmail:
        return None


def normalize_email_quickly(raw: str) -> str | None:
    """Same result as contacts.normalize_email, fast for the plain addresses that make up a big file.

    Full validation costs ~0.2 ms an address, mostly checking the domain; domains repeat
    (gmail.com...), so they are checked once. Anything unusual takes the full path.
    """
    value = raw.strip()
    local, at, domain = value.rpartition("@")
    if at and len(value) <= 254 and len(local) <= 64 and _LOCAL_PART.match(local):
        checked = _valid_domain(domain.lower())
        if checked is not None:
            return f"{local}@{checked}".lower()
    return normalize_email(value)


class RowReader:
    """Reads the cells of one row through a format's column choice."""

    def __init__(self, fmt: Format, table: Table):
        self.fmt = fmt
        self.columns = fmt.resolve(table)

    def get(self, cells: list[str], name: str, multiline: bool = False) -> str:
        """The first non-empty cell for this field; line breaks inside it become spaces unless multiline."""
        for position in self.columns.get(name, ()):
            if position < len(cells):
                value = clean_cell(cells[position])
                if value:
                    return value if multiline else " ".join(value.split())
        return ""

    def joined(self, cells: list[str], name: str, separator: str = ", ") -> str:
        parts = [" ".join(clean_cell(cells[p]).split()) for p in self.columns.get(name, ()) if p < len(cells)]
        return separator.join(p for p in parts if p)


def is_blank(cells: list[str]) -> bool:
    return not any(cell.strip() for cell in cells)


def trailing_blank_start(table: Table) -> int:
    """Index of the first of the blank rows that end the file (spreadsheets often add some)."""
    end = len(table.rows)
    while end and is_blank(table.rows[end - 1][1]):
        end -= 1
    return end


def read_clients(table: Table, fmt: Format, country: str) -> ClientReading:
    """Every row of an in-memory table (preview, dry run)."""
    problems: list[Problem] = []
    rows = list(read_client_rows(table.rows, RowReader(fmt, table), country, problems))
    return ClientReading(format=fmt, rows=rows, problems=problems, total_rows=trailing_blank_start(table))


def read_client_rows(numbered_rows: Iterable[tuple[int, list[str]]], reader: RowReader, country: str,
                     problems: list[Problem]) -> Iterator[ClientRow]:
    """ClientRows one at a time (bounded memory); problems are appended as they are found.

    Blank rows at the end of the file are spreadsheets' padding and are not problems.
    """
    blanks: list[int] = []
    for number, cells in numbered_rows:
        if is_blank(cells):
            blanks.append(number)
            continue
        problems.extend(Problem(blank, "Empty row.", skipped=True) for blank in blanks)
        blanks.clear()
        row = _read_row(reader, number, cells, country, problems)
        if row is not None:
            yield row


def _read_row(reader: RowReader, number: int, cells: list[str], country: str,
              problems: list[Problem]) -> ClientRow | None:
    fmt = reader.fmt
    row = ClientRow(row=number,
                    first_name=reader.get(cells, "first_name")[:100],
                    last_name=reader.get(cells, "last_name")[:100])

    raw_email = reader.get(cells, "email")
    who = ", ".join(part for part in (row.name, raw_email[:120]) if part)
    found: list[Problem] = []
    try:
        row.email = normalize_email_quickly(raw_email) if raw_email else None
    except InvalidEmail:
        # The rest of the row is still this client: keep it, leave the address out (never guess one).
        found.append(Problem(number, f"“{raw_email[:120]}” is not a valid email address; left out.", skipped=False))

    raw_phone = reader.get(cells, "phone")
    if raw_phone:
        phone, valid = normalize_phone(raw_phone[:200], country)
        row.phone, row.phone_valid = phone[:40], valid
        if not valid:
            found.append(Problem(number, f"Phone “{raw_phone[:60]}” could not be read; kept as typed.", skipped=False))

    if not (row.first_name or row.last_name or row.email or row.phone):
        problems.extend(found)
        problems.append(Problem(number, "No name, email or phone: nothing says who this is.", skipped=True, who=who))
        return None

    for kind in ("birthday", "anniversary"):
        raw = reader.get(cells, kind)
        try:
            setattr(row, kind, parse_date(raw, country))
        except BadValue as exc:
            found.append(Problem(number, f"{kind.capitalize()}: {exc} Left out.", skipped=False))

    for channel in ("email_opt_in", "sms_opt_in"):
        raw = reader.get(cells, channel)
        try:
            setattr(row, channel, parse_consent(raw))
        except BadValue as exc:
            label = "Email consent" if channel == "email_opt_in" else "SMS consent"
            found.append(Problem(number, f"{label}: {exc} Left unchanged.", skipped=False))
    if row.email_opt_in is None:
        row.email_opt_in = parse_unsubscribed_flag(reader.get(cells, "email_unsubscribed"))

    row.tags = parse_tags(reader.get(cells, "tags"))
    row.address = reader.joined(cells, "address")[:1000]
    row.note = reader.get(cells, "note", multiline=True)[:5000]

    for name, parse, label in (("prior_spent", parse_money, "Total spent"), ("prior_orders", parse_count, "Orders")):
        raw = reader.get(cells, name)
        try:
            value = parse(raw[:40]) if raw else None
        except ValueError as exc:  # BadValue is one too
            found.append(Problem(number, f"{label}: {exc} Left out.", skipped=False))
            continue
        if value is not None and 0 <= value < 10**13:
            setattr(row, "prior_spent_cents" if name == "prior_spent" else name, value)

    external_id = reader.get(cells, "external_id")
    if external_id:
        row.external_ids.append((fmt.source, external_id[:120]))
    reference_id = reader.get(cells, "reference_id")
    if reference_id:
        row.external_ids.append(("pos", reference_id[:120]))
    for pair in reader.get(cells, "external_ids").split(";"):
        source, _, value = pair.strip().partition(":")
        if source.strip() and value.strip():
            row.external_ids.append((source.strip()[:40], value.strip()[:120]))
    clientbook_id = reader.get(cells, "clientbook_id")
    if clientbook_id.isascii() and clientbook_id.isdigit() and len(clientbook_id) < 18:
        row.clientbook_id = int(clientbook_id)
    for problem in found:
        problem.who = who
    problems.extend(found)
    return row
