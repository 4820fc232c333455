"""Folding text for comparison: 'Éloïse', 'ELOISE' and 'eloise' are the same name, tag or category.

One table decides what folds, and it is used three ways so they can never disagree:
`fold()` in Python, the SQL function `fold(x)` registered on every SQLite connection, and
the PostgreSQL function `fold(text)` (created by a migration; `sa.func.fold(column)` in
queries works on both). SQLite's and PostgreSQL's own `lower()` are not used for comparing
people's words: SQLite's only knows ASCII and PostgreSQL's depends on the server's locale.

The table covers the Latin, Greek and Cyrillic scripts (upper to lower case, accents and
other marks removed, ligatures such as ß -> ss spelled out); other scripts compare as written.
"""
from __future__ import annotations

import unicodedata

# Blocks whose letters fold: Basic Latin capitals, Latin-1 Supplement to Latin Extended-B,
# Greek, Cyrillic, Latin Extended Additional, Greek Extended, full-width Latin.
_FOLDED_BLOCKS = ((0x41, 0x5A), (0xC0, 0x24F), (0x370, 0x3FF), (0x400, 0x52F), (0x1E00, 0x1EFF),
                  (0x1F00, 0x1FFF), (0xFF21, 0xFF5A))
_COMBINING_MARKS = (0x300, 0x36F)


def _decomposed_lower(ch: str) -> str:
    decomposed = unicodedata.normalize("NFKD", ch)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _build_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for first, last in _FOLDED_BLOCKS:
        for code in range(first, last + 1):
            ch = chr(code)
            folded = _decomposed_lower(ch)
            if unicodedata.category(ch).startswith("L") and folded != ch:
                table[ch] = folded
    for code in range(_COMBINING_MARKS[0], _COMBINING_MARKS[1] + 1):
        table[chr(code)] = ""
    return table


FOLD_TABLE: dict[str, str] = _build_table()
_TRANSLATION = str.maketrans(FOLD_TABLE)


def fold(text: str | None) -> str:
    """Case- and accent-folded: 'Éloïse Marchand' -> 'eloise marchand', 'Straße' -> 'strasse'."""
    return (text or "").translate(_TRANSLATION)


def sql_fold(text: str | None) -> str | None:
    """The SQL function's body on SQLite: NULL stays NULL, as in SQL."""
    return None if text is None else fold(text)


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def postgres_fold_function() -> str:
    """CREATE statement of PostgreSQL's fold(text), from the same table as fold().

    Several-letter foldings (ß -> ss) are replace() calls; the rest is one translate(), which
    also deletes the combining marks (characters in its "from" list beyond the "to" list).
    IMMUTABLE so it can be inlined and indexed.
    """
    expression = "$1"
    for source, target in FOLD_TABLE.items():
        if len(target) > 1:
            expression = f"replace({expression}, {_sql_literal(source)}, {_sql_literal(target)})"
    singles = [(source, target) for source, target in FOLD_TABLE.items() if len(target) == 1]
    deleted = [source for source, target in FOLD_TABLE.items() if target == ""]
    source_chars = "".join(s for s, _ in singles) + "".join(deleted)
    target_chars = "".join(t for _, t in singles)
    expression = f"translate({expression}, {_sql_literal(source_chars)}, {_sql_literal(target_chars)})"
    return (f"CREATE OR REPLACE FUNCTION fold(text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE "
            f"AS $fold$ SELECT {expression} $fold$")


POSTGRES_DROP_FOLD_FUNCTION = "DROP FUNCTION IF EXISTS fold(text)"
