"""Backups are the whole instance in one zip (database, secret key, photos), made in one step while
staff write, checked, rotated nightly; restore checks the file, keeps the current data aside,
handles WAL files itself and refuses a backup from a newer schema."""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
import threading
import time
import zipfile
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from clientbook import create_app
from clientbook.backups.nightly import rotate, run_nightly_backup, to_keep
from clientbook.extensions import db
from clientbook.models import Client
from tests.conftest import AuthActions, make_shop, make_user


@pytest.fixture
def instance(tmp_path, monkeypatch):
    folder = tmp_path / "instance"
    monkeypatch.setenv("CLIENTBOOK_INSTANCE_PATH", str(folder))
    return folder


@pytest.fixture
def app(instance):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'clientbook.sqlite3'}",
                      "HUEY_IMMEDIATE": True, "WTF_CSRF_ENABLED": False})
    with app.app_context():
        db.create_all()
        db.session.execute(sa.text("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)"))
        db.session.execute(sa.text("INSERT INTO alembic_version VALUES ('0001')"))
        make_shop()
        make_user("Olivia Owner", "owner")
        db.session.add(Client(first_name="Éloïse", email="eloise@example.com"))
        db.session.commit()
    (instance / "media" / "ab").mkdir(parents=True)
    (instance / "media" / "ab" / "photo.jpg").write_bytes(b"\xff\xd8 a ring")
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def clients(database) -> list[str]:
    connection = sqlite3.connect(database)
    try:
        return [row[0] for row in connection.execute("SELECT first_name FROM client ORDER BY id")]
    finally:
        connection.close()


def test_a_backup_is_the_whole_instance_in_one_private_file(app, instance, tmp_path):
    target = tmp_path / "out" / "shop.zip"
    result = app.test_cli_runner().invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    assert "integrity check ok" in result.output
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    with zipfile.ZipFile(target) as archive:
        names = set(archive.namelist())
        assert names == {"manifest.json", "clientbook.sqlite3", "secret_key", "media/ab/photo.jpg"}
        assert archive.read("secret_key").decode() == (instance / "secret_key").read_text()
        assert json.loads(archive.read("manifest.json"))["schema_revision"] == "0001"
        archive.extract("clientbook.sqlite3", tmp_path / "x")
    copy = sqlite3.connect(tmp_path / "x" / "clientbook.sqlite3")
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    copy.close()
    assert clients(tmp_path / "x" / "clientbook.sqlite3") == ["Éloïse"]
    assert sorted(path.name for path in target.parent.iterdir()) == ["shop.zip"]  # no leftovers


def test_the_backup_finishes_while_someone_writes_all_the_time(app, instance, tmp_path):
    """A 20 MB book and a writer committing every few milliseconds: the copy is one step."""
    live = instance / "clientbook.sqlite3"
    filler = sqlite3.connect(live)
    filler.execute("CREATE TABLE ballast (id INTEGER PRIMARY KEY, data BLOB)")
    filler.executemany("INSERT INTO ballast (data) VALUES (randomblob(4000))", [()] * 5000)
    filler.commit()
    stop = threading.Event()
    writes = []

    def write_constantly():
        writer = sqlite3.connect(live, timeout=10)
        while not stop.is_set():
            writer.execute("INSERT INTO ballast (data) VALUES (randomblob(100))")
            writer.commit()
            writes.append(1)
            time.sleep(0.002)
        writer.close()

    thread = threading.Thread(target=write_constantly)
    thread.start()
    finished = {}
    runner = app.test_cli_runner()
    backup = threading.Thread(target=lambda: finished.update(
        result=runner.invoke(args=["backup", str(tmp_path / "busy.zip")])))
    backup.start()
    backup.join(timeout=60)
    stop.set()
    thread.join()
    filler.close()
    assert not backup.is_alive() and finished["result"].exit_code == 0, finished
    assert len(writes) > 10
    assert sorted(path.name for path in tmp_path.iterdir() if path.name.startswith(("busy", ".backup"))) == \
        ["busy.zip"]


def test_restore_puts_everything_back_and_keeps_the_current_data_aside(app, instance, tmp_path):
    backup = tmp_path / "shop.zip"
    runner = app.test_cli_runner()
    assert runner.invoke(args=["backup", str(backup)]).exit_code == 0
    old_key = (instance / "secret_key").read_text()
    live = instance / "clientbook.sqlite3"
    # Later: a new client, a new key, a new photo, and a -wal file left beside the database.
    with app.app_context():
        db.session.add(Client(first_name="Marc"))
        db.session.commit()
        db.engine.dispose()
    writer = sqlite3.connect(live)
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("UPDATE client SET first_name = 'Stale'")
    writer.commit()
    shutil.copy(str(live) + "-wal", tmp_path / "stale-wal")
    writer.close()
    shutil.copy(tmp_path / "stale-wal", str(live) + "-wal")
    (instance / "secret_key").write_text("a-newer-key")
    (instance / "media" / "ab" / "later.jpg").write_bytes(b"later")

    result = runner.invoke(args=["restore", str(backup), "--yes"])
    assert result.exit_code == 0, result.output
    assert "Restart Clientbook" in result.output
    assert not (instance / "clientbook.sqlite3-wal").exists()
    assert clients(live) == ["Éloïse"]
    connection = sqlite3.connect(live)
    assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    connection.close()
    assert (instance / "secret_key").read_text() == old_key
    assert sorted(path.name for path in (instance / "media" / "ab").iterdir()) == ["photo.jpg"]
    aside = next((instance / "before-restore").iterdir())
    assert (aside / "secret_key").read_text() == "a-newer-key"
    assert (aside / "clientbook.sqlite3-wal").exists() and (aside / "media" / "ab" / "later.jpg").exists()


def make_variant(backup, tmp_path, change) -> str:
    with zipfile.ZipFile(backup) as archive:
        archive.extractall(tmp_path / "v")
    change(tmp_path / "v")
    variant = tmp_path / "variant.zip"
    with zipfile.ZipFile(variant, "w") as archive:
        for path in (tmp_path / "v").rglob("*"):
            if path.is_file():
                archive.write(path, path.relative_to(tmp_path / "v").as_posix())
    return str(variant)


def newer_schema(folder):
    connection = sqlite3.connect(folder / "clientbook.sqlite3")
    connection.execute("UPDATE alembic_version SET version_num = '9999_future'")
    connection.commit()
    connection.close()


def damaged(folder):
    database = folder / "clientbook.sqlite3"
    data = bytearray(database.read_bytes())
    data[4096:8192] = b"\x13" * 4096
    database.write_bytes(bytes(data))


@pytest.mark.parametrize("change, words", [
    (newer_schema, "newer version of Clientbook"),
    (damaged, "damaged"),
    (lambda folder: (folder / "manifest.json").unlink(), "not a Clientbook backup"),
])
def test_restore_refuses_a_bad_file_and_changes_nothing(app, instance, tmp_path, change, words):
    backup = tmp_path / "shop.zip"
    runner = app.test_cli_runner()
    assert runner.invoke(args=["backup", str(backup)]).exit_code == 0
    with app.app_context():
        db.session.add(Client(first_name="Marc"))
        db.session.commit()
        db.engine.dispose()
    result = runner.invoke(args=["restore", make_variant(backup, tmp_path, change), "--yes"])
    assert result.exit_code != 0 and words in result.output, result.output
    assert "Traceback" not in result.output
    assert clients(instance / "clientbook.sqlite3") == ["Éloïse", "Marc"]
    assert not (instance / "before-restore").exists()


def test_rotation_keeps_seven_days_and_four_weeks():
    days = [date(2026, 3, 31) - timedelta(days=n) for n in range(60)]
    kept = sorted(to_keep(days), reverse=True)
    assert kept[:7] == days[:7]
    older = kept[7:]
    # The 7 days span this week and last; the two weeks before keep their newest day (a Sunday).
    assert older == [date(2026, 3, 22), date(2026, 3, 15)]
    assert len({day.isocalendar()[:2] for day in kept}) == 4


def test_the_nightly_backup_runs_once_a_day_and_rotates(app, instance):
    folder = instance / "backups"
    folder.mkdir()
    for n in range(1, 40):
        (folder / f"clientbook-{(date(2026, 3, 10) - timedelta(days=n)).isoformat()}.zip").write_bytes(b"old")
    (folder / "before-the-move.zip").write_bytes(b"made by hand")
    with app.app_context():
        assert run_nightly_backup(datetime(2026, 3, 10, 0, 30)) is None  # 01:30 in Paris: not yet
        assert run_nightly_backup(datetime(2026, 3, 10, 2, 0)) is not None
        assert run_nightly_backup(datetime(2026, 3, 10, 5, 0)) is None  # once a day
    names = sorted(path.name for path in folder.iterdir())
    assert "clientbook-2026-03-10.zip" in names and "before-the-move.zip" in names
    assert len(names) == 1 + 7 + 2  # 7 days (today's included, two weeks), 2 older weeks, the hand-made one
    assert zipfile.ZipFile(folder / "clientbook-2026-03-10.zip").testzip() is None
    assert rotate(folder) == []


def test_settings_show_the_last_backup_and_warn_when_it_is_old(app, instance):
    client = app.test_client()
    AuthActions(client).login("owner")
    assert "No backup yet" in client.get("/settings/").text
    with app.app_context():
        run_nightly_backup(datetime(2026, 3, 10, 9, 0))
    page = client.get("/settings/").text
    assert "Last backup" in page and " MB" in page and "more than two days old" not in page
    backup = instance / "backups" / "clientbook-2026-03-10.zip"
    three_days_ago = time.time() - 3 * 86400
    os.utime(backup, (three_days_ago, three_days_ago))
    assert "more than two days old" in client.get("/settings/").text


def test_postgresql_points_to_pg_dump(app):
    app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://shop@localhost/clientbook"
    result = app.test_cli_runner().invoke(args=["backup", "x.dump"])
    assert result.exit_code == 0 and "pg_dump" in result.output
