"""What a person sees when the database can't take a write: busy, a full disk. Never a bare 500,
their input stays in the form (htmx doesn't swap an error), and nothing is half-saved."""
from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from clientbook import create_app, database
from clientbook.extensions import db
from clientbook.models import Note, Role
from tests.conftest import AuthActions, make_shop, make_user
from tests.support.reminders import add_client

HX = {"HX-Request": "true"}


def notes(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(sa.select(Note.body).order_by(Note.id)))


@pytest.fixture
def marc(app, shop):
    with app.app_context():
        marc = add_client("Marc", "Dupont", owner_id=shop["associate"])
        db.session.commit()
        return marc.id


def test_a_busy_database_answers_busy_try_again_beside_the_form(app, client, auth, marc, monkeypatch):
    monkeypatch.setattr(database, "SQLITE_BUSY_TIMEOUT_MS", 50)
    with app.app_context():
        db.engine.dispose()  # new connections take the short timeout
    auth.login("associate")
    path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    other_writer = sqlite3.connect(path, isolation_level=None)
    other_writer.execute("BEGIN IMMEDIATE")
    try:
        answer = client.post(f"/clients/{marc}/notes", headers=HX, data={"note-body": "Ring resized"})
        assert answer.status_code == 503
        assert answer.mimetype == "text/plain" and answer.text.startswith("Busy, try again")
        assert answer.headers["Retry-After"]
        page = client.post(f"/clients/{marc}/notes", data={"note-body": "Ring resized"})
        assert page.status_code == 503 and "Busy, try again" in page.text and "Traceback" not in page.text
    finally:
        other_writer.rollback()
        other_writer.close()
    assert notes(app) == []
    assert client.post(f"/clients/{marc}/notes", headers=HX, data={"note-body": "Ring resized"}).status_code == 200
    assert notes(app) == ["Ring resized"]


def test_the_answer_renders_outside_the_write_transaction(app, client, auth, marc):
    """One write transaction per form post: rendering the updated card only reads."""
    auth.login("associate")
    begins: list[str] = []
    with app.app_context():
        engine = db.engine

    def record(conn, cursor, statement, *args):
        if statement.startswith("BEGIN"):
            begins.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        answer = client.post(f"/clients/{marc}/notes", headers=HX, data={"note-body": "Prefers gold"})
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert answer.status_code == 200 and "Prefers gold" in answer.text
    assert begins.count("BEGIN IMMEDIATE") == 1, begins


def test_sqlite_in_the_wal_reset_range_gets_a_warning_and_no_mmap(app):
    assert database.sqlite_has_wal_reset_bug("3.40.1") and database.sqlite_has_wal_reset_bug("3.51.2")
    assert not database.sqlite_has_wal_reset_bug("3.51.3") and not database.sqlite_has_wal_reset_bug("3.6.23")
    assert "3.40.1" in database.sqlite_warning("3.40.1") and "PostgreSQL" in database.sqlite_warning("3.40.1")
    if database.sqlite_has_wal_reset_bug():
        with app.app_context():
            assert db.session.execute(sa.text("PRAGMA mmap_size")).scalar() == 0


@pytest.fixture
def tiny_disk(tmp_path):
    """A 1 MB filesystem of its own (tmpfs), so filling it affects nothing else."""
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a small filesystem")
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount_point)], check=True)
    yield mount_point
    subprocess.run(["umount", "-l", str(mount_point)], check=False)


@pytest.fixture
def on_tiny_disk(tiny_disk):
    """(app, signed-in associate, their client's id) with the database on the tiny filesystem."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tiny_disk / 'clientbook.sqlite3'}",
                      "HUEY_IMMEDIATE": True, "SECRET_KEY": "test", "WTF_CSRF_ENABLED": False})
    with app.app_context():
        db.create_all()
        make_shop()
        ada = make_user("Ada Associate", Role.ASSOCIATE)
        marc = add_client("Marc", "Dupont", owner_id=ada.id).id
        db.session.commit()
    client = app.test_client()
    AuthActions(client).login("associate")
    yield app, client, marc
    with app.app_context():
        db.engine.dispose()


def test_a_full_disk_is_said_in_words_and_saves_nothing(tiny_disk, on_tiny_disk):
    app, client, marc = on_tiny_disk
    filler = tiny_disk / "filler"
    with open(filler, "wb", buffering=0) as handle:
        try:
            while True:
                handle.write(b"\0" * 4096)
        except OSError:
            pass
    big_note = "Long note " * 190
    answer = client.post(f"/clients/{marc}/notes", headers=HX, data={"note-body": big_note})
    assert answer.status_code == 507, answer.text[:300]
    assert "disk" in answer.text and "full" in answer.text
    page = client.post(f"/clients/{marc}/notes", data={"note-body": big_note})
    assert page.status_code == 507 and "disk" in page.text and "Traceback" not in page.text

    filler.unlink()  # space is back: the same form goes through
    assert client.post(f"/clients/{marc}/notes", headers=HX, data={"note-body": big_note}).status_code == 200
    assert notes(app) == [big_note.strip()]
    with app.app_context():
        assert db.session.execute(sa.text("PRAGMA integrity_check")).scalar() == "ok"


def test_a_read_only_instance_is_said_in_words(tiny_disk, on_tiny_disk):
    app, client, marc = on_tiny_disk
    with app.app_context():
        db.engine.dispose()  # a filesystem with files open for writing can't be made read-only
    subprocess.run(["mount", "-o", "remount,ro", str(tiny_disk)], check=True)
    answer = client.post(f"/clients/{marc}/notes", headers=HX, data={"note-body": "Prefers gold"})
    assert answer.status_code == 503, answer.text[:300]
    assert "read-only" in answer.text
    page = client.post(f"/clients/{marc}/notes", data={"note-body": "Prefers gold"})
    assert page.status_code == 503 and "read-only" in page.text and "Traceback" not in page.text
