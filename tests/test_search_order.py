"""Search pages against a plain-Python statement of the ranking, on random books.

The rule: clients matching every typed word (by prefix) and the conditions; those whose
name words equal every typed name word first, then the rest; each group by sort_name, then id.
Small windows force every path of the windowed read (settled in the first window, in the
second, and checking every candidate).
"""
import random

import pytest
import sqlalchemy as sa

from clientbook.clients import search
from clientbook.clients.search import search_clients
from clientbook.extensions import db
from clientbook.models import Client
from clientbook.models.clients import client_sort_name
from clientbook.search_index import refresh_search_tokens, words
from clientbook.models import utcnow

FIRST = ("Marie", "Mario", "Marc", "Anna", "Annabelle", "Émile", "Éloïse", "Zoë", "Kenji", "Mar")
LAST = ("Martin", "Marchand", "Annan", "Rossi", "Émond", "Zola", "Maréchal", "Dupont", "Kenji")


def expected_ids(clients, q, keep):
    typed = [word for word in words(q)]
    def matches(c, exact):
        mine = set(words(c["first"])) | set(words(c["last"]))
        return all(any(w == t if exact else w.startswith(t) for w in mine) for t in typed)
    found = [c for c in clients if keep(c) and matches(c, False)]
    ranked = sorted(found, key=lambda c: (not matches(c, True), client_sort_name(c["first"], c["last"]), c["id"]))
    return [c["id"] for c in ranked]


@pytest.mark.parametrize("windows", [(24, 256), (1, 2), ()])
def test_pages_follow_the_ranking_rule(app, shop, monkeypatch, windows):
    monkeypatch.setattr(search, "WINDOWS", windows)
    rng = random.Random(20261202)
    with app.app_context():
        clients = []
        for _ in range(160):
            c = Client(first_name=rng.choice(FIRST), last_name=rng.choice(LAST),
                       assigned_to_id=rng.choice((shop["associate"], shop["associate2"], None)),
                       archived_at=utcnow() if rng.random() < 0.1 else None)
            db.session.add(c)
            clients.append(c)
        db.session.flush()
        refresh_search_tokens([c.id for c in clients])
        db.session.commit()
        book = [{"id": c.id, "first": c.first_name, "last": c.last_name, "owner": c.assigned_to_id,
                 "archived": c.archived_at is not None} for c in clients]
        conditions = {
            "book": ([Client.archived_at.is_(None)], lambda c: not c["archived"]),
            "mine": ([Client.archived_at.is_(None), Client.assigned_to_id == shop["associate"]],
                     lambda c: not c["archived"] and c["owner"] == shop["associate"]),
            "everyone": ([], lambda c: True),
        }
        for q in ("mar", "ma", "anna", "m", "kenji", "kenji r", "mar m", "é", "zz", "marie ma"):
            for name, (where, keep) in conditions.items():
                expected = expected_ids(book, q, keep)
                got = []
                for page in range(1, 30):
                    result = search_clients(q, country="FR", where=where, page=page, per_page=7)
                    got += [row.id for row in result.clients]
                    if not result.has_more:
                        break
                assert got == expected, (q, name)
