"""From uploaded bytes to a table of text cells, with clear reasons when that is impossible.

Handles UTF-8 (with or without BOM), UTF-16 with BOM, Windows-1252/Latin-1 as the
fallback, CRLF or LF line ends, quoted fields holding commas or line breaks, and
comma, semicolon or tab separators (spreadsheets in many countries save with ';').
"""
from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field

from clientbook.contacts import fold

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


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding name). Raises UnreadableFile for binary files and unknown encodings."""
    if not data.strip():
        raise UnreadableFile("The file is empty.")
    for signature, message in _BINARY_SIGNATURES.items():
        if data.startswith(signature):
            raise UnreadableFile(message)
    if data.startswith(codecs.BOM_UTF8):
        return _strict(data[len(codecs.BOM_UTF8):], "utf-8"), "utf-8"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _strict(data, "utf-16"), "utf-16"
    if b"\x00" in data[:8192]:
        raise UnreadableFile("This is not a text file. Export your list as CSV and upload that.")
    try:
        text, encoding = data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        # Excel on Windows saves "CSV" in the machine's code page, almost always Windows-1252
        # in the shops we serve; Latin-1 covers the few bytes 1252 leaves undefined.
        try:
            text, encoding = data.decode("cp1252"), "windows-1252"
        except UnicodeDecodeError:
            text, encoding = data.decode("latin-1"), "latin-1"
    sample = text[:20000]
    if sample and len(_CONTROL.findall(sample)) > max(3, len(sample) // 200):
        raise UnreadableFile("We can't read the characters in this file (unknown encoding). "
                             "Save it as “CSV UTF-8” in your spreadsheet and try again.")
    return text, encoding


def _strict(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        raise UnreadableFile("The file says it is Unicode but contains broken characters. "
                             "Save it again as “CSV UTF-8” and try again.") from None


def _delimiter(text: str) -> str:
    header_line = text.split("\n", 1)[0]
    counts = {delimiter: header_line.count(delimiter) for delimiter in (",", ";", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def parse(data: bytes) -> Table:
    """Bytes of a CSV file -> Table. Blank lines are kept as empty rows so row numbers stay true."""
    text, encoding = decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=False)
    row_number = 1
    try:
        headers = next(reader, None)
        while headers is not None and not any(cell.strip() for cell in headers):
            headers = next(reader, None)  # tolerate blank lines above the header
        if headers is None:
            raise UnreadableFile("The file has no header row.")
        headers = [cell.strip().lstrip("\ufeff") for cell in headers]
        if len([h for h in headers if h]) < 1:
            raise UnreadableFile("The first row should name the columns (First Name, Email...).")
        table = Table(headers=headers, encoding=encoding)
        for cells in reader:
            row_number += 1
            table.rows.append((row_number, cells))
    except csv.Error as exc:
        raise UnreadableFile(f"The file is not valid CSV near row {row_number}: {exc}.") from None
    return table
