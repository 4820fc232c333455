"""Soak (bounded, loopback only): staff save notes from 8 browsers while a 3 000-row import and a
reminder run go through the same database. Every note the server acknowledged is there at the end,
no request answered 500, and SQLite's integrity check is ok."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

import pytest

from bench.dataset import write_shopify_csv
from bench.measure import Browserish
from bench.server import BenchServer
from clientbook import create_app
from clientbook.extensions import db
from clientbook.models import Client, Role
from tests.conftest import PASSWORD, make_shop, make_user
from tests.support.html import select

ROOT = Path(__file__).resolve().parent.parent
WRITERS = 8
SECONDS = 20.0
pytestmark = pytest.mark.slow


@pytest.fixture
def instance(tmp_path, monkeypatch):
    folder = tmp_path / "instance"
    database = folder / "clientbook.sqlite3"
    env = {"CLIENTBOOK_INSTANCE_PATH": str(folder), "CLIENTBOOK_SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    app = create_app({"SQLALCHEMY_DATABASE_URI": env["CLIENTBOOK_SQLALCHEMY_DATABASE_URI"]})
    with app.app_context():
        db.create_all()
        make_shop()
        make_user("Olivia Owner", Role.OWNER)
        db.session.add_all([Client(first_name=f"Client{n}", last_name="Soak", email=f"c{n}@soak.test")
                            for n in range(40)])
        db.session.commit()
        ids = [client.id for client in db.session.scalars(db.select(Client))]
        db.session.remove()
        db.engine.dispose()
    return folder, database, ids


def flask_command(*args: str) -> subprocess.Popen:
    return subprocess.Popen([str(Path(sys.executable).parent / "flask"), "--app", "app", *args], cwd=ROOT,
                            env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_acknowledged_writes_survive_concurrent_staff_an_import_and_a_reminder_run(instance):
    folder, database, ids = instance
    acknowledged: list[str] = []
    failures: list[str] = []
    busy = []
    lock = threading.Lock()
    with BenchServer(folder) as server:
        browsers = []
        for _ in range(WRITERS):
            browser = Browserish(server.url)
            browser.log_in("olivia@maison-perle.com", PASSWORD)
            response, raw = browser.request("GET", f"/clients/{ids[0]}")
            browsers.append((browser, select(browser.text(response, raw), 'input[name="csrf_token"]')[0]["value"]))

        def staff(number: int, deadline: float) -> None:
            browser, token = browsers[number]
            serial = 0
            while time.monotonic() < deadline:
                serial += 1
                body = f"soak note {number}-{serial}"
                form = {"csrf_token": token, "note-body": body, "form_token": uuid.uuid4().hex}
                try:
                    response, _ = browser.request("POST", f"/clients/{ids[serial % len(ids)]}/notes",
                                                  {"HX-Request": "true"}, urlencode(form))
                except OSError as exc:
                    with lock:
                        failures.append(f"{body}: {exc}")
                    continue
                with lock:
                    if response.status == 200:
                        acknowledged.append(body)
                    elif response.status == 503:
                        busy.append(body)  # said "Busy, try again": not acknowledged, may retry
                    else:
                        failures.append(f"{body}: HTTP {response.status}")

        csv_path = folder / "import.csv"
        write_shopify_csv(csv_path, 3000, [f"c{n}@soak.test" for n in range(10)])
        deadline = time.monotonic() + SECONDS
        threads = [threading.Thread(target=staff, args=(n, deadline)) for n in range(WRITERS)]
        for thread in threads:
            thread.start()
        time.sleep(2)
        importing = flask_command("import-clients", str(csv_path))
        reminders = flask_command("reminders", "run")
        import_output, _ = importing.communicate(timeout=120)
        reminder_output, _ = reminders.communicate(timeout=120)
        for thread in threads:
            thread.join(timeout=SECONDS + 60)
        log = server.log_tail(200)

    assert importing.returncode == 0, import_output
    assert reminders.returncode == 0, reminder_output
    assert failures == [], failures[:5]
    assert "Traceback" not in log, log
    assert len(acknowledged) > 20, f"only {len(acknowledged)} notes saved in {SECONDS} s ({len(busy)} busy)"
    connection = sqlite3.connect(database)
    try:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = {row[0] for row in connection.execute("SELECT body FROM note")}
        imported = connection.execute("SELECT count(*) FROM client").fetchone()[0]
    finally:
        connection.close()
    missing = [body for body in acknowledged if body not in stored]
    assert missing == [], f"{len(missing)} acknowledged notes missing, e.g. {missing[:3]}"
    assert imported >= 40 + 2900
    print(f"\nsoak: {len(acknowledged)} notes acknowledged and present, {len(busy)} answered busy, "
          f"{imported} clients after the import")
