"""A form sent twice (double tap, retry after "Busy, try again", the browser re-posting) saves once.
The message composer has carried its own token since it was built (see test_messaging)."""
from __future__ import annotations

import re
import threading

import sqlalchemy as sa

from clientbook.extensions import db
from clientbook.models import Note, Purchase, UsedFormToken
from tests.conftest import AuthActions
from tests.support.html import select
from tests.test_database_faults import HX, marc  # noqa: F401 (fixture)

TOKEN = re.compile(r"[0-9a-f]{32}")


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def tokens_on_card(client, marc) -> list[str]:
    client.get(f"/clients/{marc}/purchases/new")
    tokens = [field["value"] for field in select(client.get(f"/clients/{marc}/purchases/new").text,
                                                 'input[name="form_token"]')]
    assert all(TOKEN.fullmatch(token) for token in tokens)
    return tokens


def test_the_card_gives_every_form_a_fresh_token(client, auth, marc):
    auth.login("associate")
    first, second = tokens_on_card(client, marc), tokens_on_card(client, marc)
    assert len(first) == 2 and len(set(first + second)) == 4  # note + purchase forms, new each time


def test_a_note_sent_twice_is_saved_once(app, client, auth, marc):
    auth.login("associate")
    form = {"note-body": "Prefers white gold", "form_token": "a" * 32}
    first = client.post(f"/clients/{marc}/notes", headers=HX, data=form)
    again = client.post(f"/clients/{marc}/notes", headers=HX, data=form)
    plain = client.post(f"/clients/{marc}/notes", data=form)
    assert first.status_code == again.status_code == 200 and plain.status_code == 303
    assert "Prefers white gold" in again.text  # the answer shows the note as saved
    assert count(app, Note) == 1
    assert client.post(f"/clients/{marc}/notes", headers=HX,
                       data={**form, "form_token": "b" * 32}).status_code == 200
    assert count(app, Note) == 2  # a new form is a new note


def test_a_purchase_sent_twice_is_saved_once(app, client, auth, shop, marc):
    auth.login("associate")
    form = {"purchase-purchased_on": "2025-03-02", "purchase-items-0-description": "Akoya strand",
            "purchase-items-0-amount": "1890", "form_token": "c" * 32}
    assert client.post(f"/clients/{marc}/purchases", headers=HX, data=form).status_code == 200
    assert client.post(f"/clients/{marc}/purchases", headers=HX, data=form).status_code == 200
    assert count(app, Purchase) == 1


def test_a_refused_form_does_not_use_up_its_token(app, client, auth, marc):
    auth.login("associate")
    assert client.post(f"/clients/{marc}/notes", headers=HX,
                       data={"note-body": " ", "form_token": "d" * 32}).status_code == 422
    assert client.post(f"/clients/{marc}/notes", headers=HX,
                       data={"note-body": "Now with words", "form_token": "d" * 32}).status_code == 200
    assert count(app, Note) == 1 and count(app, UsedFormToken) == 1


def test_two_copies_at_the_same_moment_save_once(app, shop, marc):
    clients = [app.test_client() for _ in range(4)]
    for each in clients:
        AuthActions(each).login("associate")
    start = threading.Barrier(len(clients))
    answers = []

    def post(each):
        start.wait()
        answers.append(each.post(f"/clients/{marc}/notes", headers=HX,
                                 data={"note-body": "Once", "form_token": "e" * 32}).status_code)

    threads = [threading.Thread(target=post, args=(each,)) for each in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [200] * 4
    assert count(app, Note) == 1


def test_tokens_are_forgotten_after_a_month(app):
    from datetime import timedelta

    from clientbook.form_tokens import prune_used_tokens
    from clientbook.models import utcnow

    with app.app_context():
        db.session.add_all([UsedFormToken(token="f" * 32, used_at=utcnow() - timedelta(days=31)),
                            UsedFormToken(token="0" * 32, used_at=utcnow() - timedelta(days=2))])
        db.session.commit()
        assert prune_used_tokens() == 1
        db.session.commit()
        assert db.session.scalars(sa.select(UsedFormToken.token)).all() == ["0" * 32]
