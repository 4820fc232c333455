"""Huey tasks once through a real consumer process (the rest of the suite runs them in immediate mode)."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from clientbook import create_app
from clientbook.extensions import db
from clientbook.models import Reminder, Role, Shop, User
from clientbook.shop import shop_today
from tests.support.reminders import add_client, add_date

PROJECT = Path(__file__).resolve().parent.parent
CONSUMER = Path(sys.executable).parent / "huey_consumer"


@pytest.fixture
def queued_app(tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir()
    database = f"sqlite:///{instance / 'clientbook.sqlite3'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": database, "HUEY_IMMEDIATE": False,
                      "HUEY_FILE": str(instance / "huey.sqlite3"), "SECRET_KEY": "worker-test", "TESTING": True})
    with app.app_context():
        db.create_all()
    yield app, instance, database
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_generation_runs_in_a_real_consumer(queued_app):
    app, instance, database = queued_app
    with app.app_context():
        db.session.add(Shop(name="Maison Perle", country="FR", timezone="Europe/Paris", currency="EUR"))
        ada = User(name="Ada Associate", email="ada@maison-perle.com", password_hash="x", role=Role.ASSOCIATE)
        db.session.add(ada)
        db.session.flush()
        today = shop_today()
        soon = today + timedelta(days=14)
        add_date(add_client("Marc", owner_id=ada.id), "birthday", soon.month, soon.day)
        add_date(add_client("Nina", owner_id=ada.id), "anniversary", today.month, today.day)
        db.session.commit()
        ada_id = ada.id

    env = dict(os.environ, CLIENTBOOK_HUEY_WORKER="1", CLIENTBOOK_INSTANCE_PATH=str(instance),
               CLIENTBOOK_SQLALCHEMY_DATABASE_URI=database)
    env.pop("CLIENTBOOK_HUEY_FILE", None)
    consumer = subprocess.Popen([str(CONSUMER), "clientbook.tasks.huey", "--workers", "1", "--worker-type", "thread"],
                                cwd=PROJECT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        from clientbook.reminders.tasks import generate_reminders_now

        with app.app_context():
            generate_reminders_now()  # enqueued into instance/huey.sqlite3, not run here
            count = 0
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and consumer.poll() is None:
                count = db.session.scalar(sa.select(sa.func.count()).select_from(Reminder))
                db.session.rollback()
                if count >= 2:
                    break
                time.sleep(0.2)
            rows = db.session.scalars(sa.select(Reminder).order_by(Reminder.id)).all()
            assert sorted(r.kind for r in rows) == ["anniversary", "birthday"], _output(consumer)
            assert {r.owner_id for r in rows} == {ada_id}
    finally:
        consumer.terminate()
        try:
            consumer.wait(timeout=10)
        except subprocess.TimeoutExpired:
            consumer.kill()
            consumer.wait()


def _output(process: subprocess.Popen) -> str:
    if process.poll() is None:
        return "consumer still running"
    return process.stdout.read().decode(errors="replace")[-3000:]
