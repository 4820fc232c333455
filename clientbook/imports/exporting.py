"""The client book as CSV: a few set-based queries, then one row per client.

Cells that a spreadsheet would run as a formula (= + - @, tab, carriage return at
the start) are prefixed with an apostrophe; our own import strips it again.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

import sqlalchemy as sa

from clientbook.extensions import db
from clientbook.imports.values import DateValue, format_cents
from clientbook.models import Client, ClientExternalId, ClientTag, ImportantDate, Purchase, User

COLUMNS = ("id", "first_name", "last_name", "email", "phone", "birthday", "anniversary", "tags",
           "email_opt_in", "sms_opt_in", "assigned_to", "external_ids", "total_spent", "last_purchase_at",
           "address", "created_at", "archived")
_DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")


_YEARLESS_DATE = re.compile(r"^--\d{2}-\d{2}$")


def neutralise(value: str) -> str:
    """Prefix formula-like cells with an apostrophe; year-less ISO dates (--MM-DD) are plain data and stay as they are."""
    if value.startswith(_DANGEROUS_START) and not _YEARLESS_DATE.match(value):
        return "'" + value
    return value


def _grouped(query) -> dict[int, list]:
    grouped: dict[int, list] = {}
    for client_id, *rest in db.session.execute(query):
        grouped.setdefault(client_id, []).append(rest[0] if len(rest) == 1 else tuple(rest))
    return grouped


def export_rows(include_archived: bool = False) -> Iterator[list[str]]:
    """Header, then one list of cells per client (merged clients never, archived ones on request)."""
    conditions = [Client.merged_into_id.is_(None)]
    if not include_archived:
        conditions.append(Client.archived_at.is_(None))
    live = sa.select(Client.id).where(*conditions)

    tags = _grouped(sa.select(ClientTag.client_id, ClientTag.tag).where(ClientTag.client_id.in_(live))
                    .order_by(ClientTag.client_id, ClientTag.tag))
    external = _grouped(sa.select(ClientExternalId.client_id, ClientExternalId.source, ClientExternalId.value)
                        .where(ClientExternalId.client_id.in_(live))
                        .order_by(ClientExternalId.client_id, ClientExternalId.source, ClientExternalId.value))
    dates: dict[tuple[int, str], str] = {}
    for client_id, kind, month, day, year in db.session.execute(
        sa.select(ImportantDate.client_id, ImportantDate.kind, ImportantDate.month, ImportantDate.day,
                  ImportantDate.year)
        .where(ImportantDate.client_id.in_(live), ImportantDate.kind.in_(("birthday", "anniversary")),
               ImportantDate.for_whom == "")
        .order_by(ImportantDate.id)
    ):
        dates.setdefault((client_id, kind), DateValue(month, day, year).iso())
    spending = {
        client_id: (total, last)
        for client_id, total, last in db.session.execute(
            sa.select(Purchase.client_id, sa.func.sum(Purchase.total_cents), sa.func.max(Purchase.purchased_on))
            .where(Purchase.client_id.in_(live)).group_by(Purchase.client_id)
        )
    }

    yield list(COLUMNS)
    clients = db.session.execute(
        sa.select(Client.id, Client.first_name, Client.last_name, Client.email, Client.phone, Client.email_opt_in,
                  Client.sms_opt_in, User.email.label("assigned_email"), Client.address, Client.created_at,
                  Client.archived_at, Client.prior_spent_cents)
        .outerjoin(User, User.id == Client.assigned_to_id)
        .where(*conditions).order_by(Client.id)
    )
    for c in clients:
        total, last = spending.get(c.id, (0, None))
        last_text = last.isoformat() if hasattr(last, "isoformat") else (str(last) if last else "")
        yield [neutralise(cell) for cell in (
            str(c.id), c.first_name, c.last_name, c.email or "", c.phone or "",
            dates.get((c.id, "birthday"), ""), dates.get((c.id, "anniversary"), ""),
            ";".join(tags.get(c.id, [])),
            "true" if c.email_opt_in else "false", "true" if c.sms_opt_in else "false",
            c.assigned_email or "",
            ";".join(f"{source}:{value}" for source, value in external.get(c.id, [])),
            # Lifetime spend includes the history an import brought from the point of sale.
            format_cents(int(total or 0) + c.prior_spent_cents), last_text, c.address.replace("\r", ""),
            c.created_at.date().isoformat() if c.created_at else "",
            "true" if c.archived_at else "false",
        )]


def csv_chunks(include_archived: bool = False, rows_per_chunk: int = 500) -> Iterator[str]:
    """CSV text in pieces, for streaming a download without building it all in memory."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for count, row in enumerate(export_rows(include_archived), start=1):
        writer.writerow(row)
        if count % rows_per_chunk == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def write_export(stream, include_archived: bool = False) -> int:
    """Write the CSV to a text stream; returns the number of clients."""
    count = -1
    writer = csv.writer(stream, lineterminator="\r\n")
    for count, row in enumerate(export_rows(include_archived)):
        writer.writerow(row)
    return max(count, 0)
