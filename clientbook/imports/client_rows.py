"""Rows of a client file -> ClientRow values, with a Problem for every row we skip or change.

Nothing here touches the database, so the preview and the CLI dry run can show
exactly what an import would do.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from clientbook.contacts import InvalidEmail, normalize_email, normalize_phone
from clientbook.imports.formats import Format
from clientbook.imports.reading import Table
from clientbook.imports.values import (
    BadValue, DateValue, clean_cell, parse_consent, parse_date, parse_tags, parse_unsubscribed_flag,
)


@dataclass
class Problem:
    row: int
    message: str
    skipped: bool  # True: the row is left out; False: imported, with this part left out or kept as typed


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

    def get(self, cells: list[str], name: str) -> str:
        for position in self.columns.get(name, ()):
            if position < len(cells):
                value = clean_cell(cells[position])
                if value:
                    return value
        return ""

    def joined(self, cells: list[str], name: str, separator: str = ", ") -> str:
        parts = [clean_cell(cells[p]) for p in self.columns.get(name, ()) if p < len(cells)]
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
    reader = RowReader(fmt, table)
    rows: list[ClientRow] = []
    problems: list[Problem] = []
    last = trailing_blank_start(table)
    for number, cells in table.rows[:last]:
        if is_blank(cells):
            problems.append(Problem(number, "Empty row.", skipped=True))
            continue
        row = _read_row(reader, number, cells, country, problems)
        if row is not None:
            rows.append(row)
    return ClientReading(format=fmt, rows=rows, problems=problems, total_rows=last)


def _read_row(reader: RowReader, number: int, cells: list[str], country: str,
              problems: list[Problem]) -> ClientRow | None:
    fmt = reader.fmt
    row = ClientRow(row=number,
                    first_name=reader.get(cells, "first_name")[:100],
                    last_name=reader.get(cells, "last_name")[:100])

    raw_email = reader.get(cells, "email")
    try:
        row.email = normalize_email_quickly(raw_email) if raw_email else None
    except InvalidEmail:
        # The email is how we recognise a client next time: guessing would risk doubles.
        problems.append(Problem(number, f"“{raw_email}” is not a valid email address.", skipped=True))
        return None

    raw_phone = reader.get(cells, "phone")
    if raw_phone:
        phone, valid = normalize_phone(raw_phone, country)
        row.phone, row.phone_valid = phone[:40], valid
        if not valid:
            problems.append(Problem(number, f"Phone “{raw_phone}” could not be read; kept as typed.", skipped=False))

    if not (row.first_name or row.last_name or row.email or row.phone):
        problems.append(Problem(number, "No name, email or phone.", skipped=True))
        return None

    for kind in ("birthday", "anniversary"):
        raw = reader.get(cells, kind)
        try:
            setattr(row, kind, parse_date(raw, country))
        except BadValue as exc:
            problems.append(Problem(number, f"{kind.capitalize()}: {exc} Left out.", skipped=False))

    for channel in ("email_opt_in", "sms_opt_in"):
        raw = reader.get(cells, channel)
        try:
            setattr(row, channel, parse_consent(raw))
        except BadValue as exc:
            label = "Email consent" if channel == "email_opt_in" else "SMS consent"
            problems.append(Problem(number, f"{label}: {exc} Left unchanged.", skipped=False))
    if row.email_opt_in is None:
        row.email_opt_in = parse_unsubscribed_flag(reader.get(cells, "email_unsubscribed"))

    row.tags = parse_tags(reader.get(cells, "tags"))
    row.address = reader.joined(cells, "address")[:1000]
    row.note = reader.get(cells, "note")[:5000]

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
    if clientbook_id.isdigit():
        row.clientbook_id = int(clientbook_id)
    return row
