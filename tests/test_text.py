"""Folding for comparison: one table, used by Python, SQLite and PostgreSQL alike."""
import pytest
import sqlalchemy as sa

from clientbook.extensions import db
from clientbook.text import FOLD_TABLE, fold

CASES = [
    ("Éloïse Marchand", "eloise marchand"),
    ("ÉCLAT", "eclat"),
    ("éclat", "eclat"),
    ("VIP", "vip"),
    ("Straße", "strasse"),
    ("Ĳssel", "ijssel"),
    ("Œuvre", "œuvre"),  # a letter of its own, not a ligature of two
    ("Ångström", "angstrom"),
    ("Łódź", "łodz"),  # Ł has no decomposition: lower case only
    ("Nguyễn", "nguyen"),
    ("Ελένη", "ελενη"),
    ("ΆΝΝΑ", "αννα"),
    ("Ёлка", "елка"),
    ("ＶＩＰ", "vip"),  # full-width
    ("E\u0301loi\u0308se", "eloise"),  # typed with combining accents
    ("O'Brien-Smith", "o'brien-smith"),
    ("", ""),
    ("漢字 123", "漢字 123"),  # other scripts compare as written
]


@pytest.mark.parametrize("text, folded", CASES)
def test_fold(text, folded):
    assert fold(text) == folded


def test_fold_of_nothing_is_empty():
    assert fold(None) == ""


def test_python_and_sql_fold_agree(app):
    """The same answers from the database's fold() (SQLite's registered function, or the
    PostgreSQL function with --postgres), for the table above and every letter the table folds."""
    samples = [text for text, _ in CASES] + list(FOLD_TABLE) + ["".join(FOLD_TABLE)]
    with app.app_context():
        for text in samples:
            assert db.session.scalar(sa.select(sa.func.fold(text))) == fold(text), repr(text)
        assert db.session.scalar(sa.select(sa.func.fold(sa.null()))) is None
