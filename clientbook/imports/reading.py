"""From uploaded bytes to a table of text cells, with clear reasons when that is impossible.

Handles UTF-8 (with or without BOM), UTF-16 with BOM, Windows-1252/Latin-1 as the
fallback, CRLF or LF line ends, quoted fields holding commas or line breaks, and
comma, semicolon, tab or '|' separators (spreadsheets in many countries save with ';').
Columns and cell sizes are capped before anything is built from them.
"""
from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from clientbook.text import fold

ALLOWED_EXTENSIONS = (".csv", ".txt", ".tsv")

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BINARY_SIGNATURES = {
    b"PK\x03\x04": "This looks like an Excel workbook (.xlsx) or a zip file. In your spreadsheet, use "
                   "File › Save As › CSV UTF-8, then upload that file.",
    b"\xd0\xcf\x11\xe0": "This looks like an old Excel workbook (.xls). Save it as CSV UTF-8 and upload that file.",
    b"%PDF": "This is a PDF, not a CSV file. Export the list as CSV from your point of sale.",
}


class UnreadableFile(ValueError):
    """The file can't be turned into rows; the message says why and what to do."""


@dataclass
class Table:
    headers: list[str]
    # (row number as a spreadsheet shows it: the header is row 1, cells)
    rows: list[tuple[int, list[str]]] = field(default_factory=list)
    encoding: str = "utf-8"

    def column_index(self) -> dict[str, int]:
        """Normalised header -> first column index with that header."""
        index: dict[str, int] = {}
        for position, header in enumerate(self.headers):
            index.setdefault(normalise_header(header), position)
        return index

    def samples(self, limit: int = 3) -> dict[str, list[str]]:
        """A few non-empty example values per column, for the mapping step."""
        found: dict[str, list[str]] = {header: [] for header in self.headers}
        for _number, cells in self.rows[:200]:
            for position, header in enumerate(self.headers):
                value = cells[position].strip() if position < len(cells) else ""
                if value and len(found[header]) < limit and value not in found[header]:
                    found[header].append(value[:60])
        return found


def normalise_header(header: str) -> str:
    """'Default Address Address1 ' -> 'default address address1'; 'Prénom' -> 'prenom'."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", fold(header)).split())


def check_filename(filename: str | None) -> None:
    name = (filename or "").strip().lower()
    if not name:
        raise UnreadableFile("Choose a CSV file to upload.")
    if name.endswith((".xlsx", ".xls", ".numbers", ".ods")):
        raise UnreadableFile("This is a spreadsheet file, not a CSV. In your spreadsheet, use "
                             "File › Save As › CSV UTF-8, then upload that file.")
    if not name.endswith(ALLOWED_EXTENSIONS):
        raise UnreadableFile("Only CSV files can be imported. Export your list as CSV (a .csv file) and upload that.")


MAX_COLUMNS = 200
MAX_CELL_CHARACTERS = 100_000
csv.field_size_limit(MAX_CELL_CHARACTERS)  # a longer cell is an error with a message, not a memory hog
_SNIFF_BYTES = 1 << 16
_STREAM_BYTES = 1 << 20
DELIMITERS = (",", ";", "\t", "|")


def _sniff(head: bytes) -> str | None:
    """What the first bytes say about the file: an encoding from its BOM, or None; raises for non-text files."""
    if not head.strip():
        raise UnreadableFile("The file is empty.")
    for signature, message in _BINARY_SIGNATURES.items():
        if head.startswith(signature):
            raise UnreadableFile(message)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in head[:8192]:
        raise UnreadableFile("This is not a text file. Export your list as CSV and upload that.")
    return None


def _decodes_as(stream: BinaryIO, encoding: str) -> bool:
    """Whether the whole file decodes, read a megabyte at a time (a big file is never held at once)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    stream.seek(0)
    try:
        while chunk := stream.read(_STREAM_BYTES):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def detect_encoding(stream: BinaryIO) -> str:
    """The encoding to read this file with. Raises UnreadableFile for binary files and unknown encodings."""
    stream.seek(0)
    head = stream.read(_SNIFF_BYTES)
    encoding = _sniff(head)
    if encoding is not None:
        if not _decodes_as(stream, encoding):
            raise UnreadableFile("The file says it is Unicode but contains broken characters. "
                                 "Save it again as “CSV UTF-8” and try again.")
    elif _decodes_as(stream, "utf-8"):
        encoding = "utf-8"
    # Excel on Windows saves "CSV" in the machine's code page, almost always Windows-1252
    # in the shops we serve; Latin-1 covers the few bytes 1252 leaves undefined.
    elif _decodes_as(stream, "cp1252"):
        encoding = "windows-1252"
    else:
        encoding = "latin-1"
    sample = head.decode(encoding, errors="ignore")[:20000]
    if sample and len(_CONTROL.findall(sample)) > max(3, len(sample) // 200):
        raise UnreadableFile("We can't read the characters in this file (unknown encoding). "
                             "Save it as “CSV UTF-8” in your spreadsheet and try again.")
    return encoding


def _delimiter(header_line: str) -> str:
    counts = {delimiter: header_line.count(delimiter) for delimiter in DELIMITERS}
    best = max(counts, key=counts.get)
    if counts[best] + 1 > MAX_COLUMNS:
        # Said before the csv module builds a single cell: a million columns would fill the memory.
        raise UnreadableFile(f"The first row has {counts[best] + 1:,} columns; an import reads at most "
                             f"{MAX_COLUMNS}. This doesn't look like a client list: export it again as CSV.")
    return best if counts[best] else ","


@dataclass
class RowStream:
    """A CSV file opened for reading: its headers now, its rows one at a time (bounded memory)."""

    headers: list[str]
    rows: Iterator[tuple[int, list[str]]]
    encoding: str

    def column_index(self) -> dict[str, int]:
        return Table.column_index(self)  # type: ignore[arg-type]


def open_rows(stream: BinaryIO) -> RowStream:
    """Headers and a lazy row iterator over a binary file; the same checks and messages as parse()."""
    encoding = detect_encoding(stream)
    stream.seek(0)
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")
    # The header line decides the separator: skip blank lines above it, keep the rest for csv.
    first = ""
    skipped = 0
    for line in text:
        if line.strip():
            first = line
            break
        skipped += 1
    if not first:
        raise UnreadableFile("The file has no header row.")
    delimiter = _delimiter(first.lstrip("\ufeff"))
    lines = itertools.chain([first], text)
    reader = csv.reader(lines, delimiter=delimiter, strict=False)
    try:
        headers = next(reader)
    except csv.Error as exc:
        raise UnreadableFile(_csv_message(exc, 1)) from None
    headers = [cell.strip().lstrip("\ufeff") for cell in headers]
    if not any(headers):
        raise UnreadableFile("The first row should name the columns (First Name, Email...).")
    _check_headers(headers)
    return RowStream(headers=headers, rows=_numbered(reader), encoding=encoding)


def _check_headers(headers: list[str]) -> None:
    seen: dict[str, int] = {}
    for position, header in enumerate(headers, start=1):
        key = normalise_header(header)
        if not key:
            continue
        if key in seen:
            raise UnreadableFile(f"Two columns are called “{header}” (columns {seen[key]} and {position}). "
                                 "Rename one of them in your spreadsheet and upload the file again.")
        seen[key] = position


def _csv_message(exc: csv.Error, row_number: int) -> str:
    if "field larger than field limit" in str(exc):
        return (f"Row {row_number} has a cell longer than {MAX_CELL_CHARACTERS:,} characters. "
                "This doesn't look like a client list: export it again as CSV.")
    return f"The file is not valid CSV near row {row_number}: {exc}."


def _numbered(reader) -> Iterator[tuple[int, list[str]]]:
    """Rows numbered as a spreadsheet shows them (the header is row 1). Blank lines stay, so numbers stay true."""
    row_number = 1
    try:
        for cells in reader:
            row_number += 1
            if len(cells) > MAX_COLUMNS:
                cells = cells[:MAX_COLUMNS]
            yield row_number, cells
    except csv.Error as exc:
        raise UnreadableFile(_csv_message(exc, row_number + 1)) from None


def parse(data: bytes) -> Table:
    """Bytes of a CSV file -> Table, all rows in memory (the preview of an upload, tests)."""
    stream = open_rows(io.BytesIO(data))
    table = Table(headers=stream.headers, encoding=stream.encoding)
    table.rows = list(stream.rows)
    return table


NO_ROWS = "The file has a header row but no rows under it."


def _has_a_row(rows) -> bool:
    return any(any(cell.strip() for cell in cells) for _number, cells in rows)


def read_table(data: bytes) -> Table:
    """parse(), refusing a file with nothing under its header: the web upload and the CLI say the same."""
    table = parse(data)
    if not _has_a_row(table.rows):
        raise UnreadableFile(NO_ROWS)
    return table


def check_rows(stream: BinaryIO) -> RowStream:
    """The checks of read_table() on a file read as a stream (stops at the first row); returns its headers."""
    rows = open_rows(stream)
    if not _has_a_row(rows.rows):
        raise UnreadableFile(NO_ROWS)
    return rows
