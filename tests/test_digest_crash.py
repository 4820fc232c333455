"""A morning digest whose worker is killed mid-send (a real process, SIGKILL) is never left
"sending": sent again exactly once if the mail server never got it, or marked "unknown" (and
shown to the owner) if the server was receiving it when the worker died."""
from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from clientbook.extensions import db
from clientbook.models import DigestDelivery, Reminder, utcnow
from clientbook.reminders.digest import STALLED_AFTER, deliver_digest, recover_stalled_digests
from clientbook.shop import shop_today
from tests.test_digest import Inbox, _free_port
from tests.support.reminders import add_client

ROOT = Path(__file__).resolve().parent.parent


class SlowInbox(Inbox):
    """Takes the message but never finishes answering it (the worker dies meanwhile)."""

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(60)
        return "250 OK"


@pytest.fixture
def book(app, shop, tmp_path):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_USE_TLS=False, MAIL_FROM="Shop <shop@maison-perle.test>")
    with app.app_context():
        day = shop_today()
        marc = add_client("Marc", "Dupont", owner_id=shop["associate"])
        db.session.add(Reminder(rule_id=None, client_id=marc.id, occurrence="m-1", kind="manual",
                                reason="Call about the ring", due_date=day, owner_id=shop["associate"]))
        db.session.commit()
    return shop["associate"], day


def send_in_a_process_and_kill_it(app, tmp_path, user_id, day, port, wait_for_state):
    env = dict(os.environ, CLIENTBOOK_INSTANCE_PATH=str(tmp_path / "instance"),
               CLIENTBOOK_SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
               CLIENTBOOK_SECRET_KEY="test", CLIENTBOOK_HUEY_IMMEDIATE="true", CLIENTBOOK_MAIL_SERVER="127.0.0.1",
               CLIENTBOOK_MAIL_PORT=str(port), CLIENTBOOK_MAIL_USE_TLS="false",
               CLIENTBOOK_MAIL_FROM="Shop <shop@maison-perle.test>")
    script = textwrap.dedent(f"""
        from datetime import date
        from clientbook import create_app
        from clientbook.reminders.digest import deliver_digest
        with create_app().app_context():
            deliver_digest({user_id}, date.fromisoformat({day.isoformat()!r}))
    """)
    worker = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and state(app, user_id, day) != wait_for_state:
            time.sleep(0.05)
        assert state(app, user_id, day) == wait_for_state
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait()


def state(app, user_id, day) -> str | None:
    with app.app_context():
        found = db.session.scalar(sa.select(DigestDelivery.state).where(DigestDelivery.user_id == user_id,
                                                                         DigestDelivery.day == day))
        db.session.remove()
        return found


def test_killed_before_the_server_got_it_is_sent_once_after_the_sweep(app, book, tmp_path):
    user_id, day = book
    with socket.socket() as silent:  # accepts the connection, never greets: the worker waits
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        send_in_a_process_and_kill_it(app, tmp_path, user_id, day, silent.getsockname()[1], "sending")
    assert state(app, user_id, day) == "sending"
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        app.config["MAIL_PORT"] = controller.port
        with app.app_context():
            assert recover_stalled_digests(utcnow()) == []  # too early: it might still be going
            assert recover_stalled_digests(utcnow() + STALLED_AFTER + timedelta(seconds=1)) == [(user_id, day)]
            assert deliver_digest(user_id, day) == "sent"
            assert deliver_digest(user_id, day) == "skipped"
            assert recover_stalled_digests(utcnow() + STALLED_AFTER * 2) == []
    finally:
        controller.stop()
    assert len(inbox.messages) == 1 and state(app, user_id, day) == "sent"


def test_killed_while_the_server_was_receiving_it_is_unknown_and_shown(app, book, tmp_path, client, auth):
    user_id, day = book
    inbox = SlowInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        send_in_a_process_and_kill_it(app, tmp_path, user_id, day, controller.port, "delivering")
        with app.app_context():
            assert recover_stalled_digests(utcnow() + STALLED_AFTER + timedelta(seconds=1)) == []
            app.config["MAIL_PORT"] = controller.port
            assert deliver_digest(user_id, day) == "skipped"  # never a second copy
    finally:
        controller.stop()
    assert state(app, user_id, day) == "unknown"
    auth.login("owner")
    page = client.get("/settings/")
    assert "may or may not have arrived" in page.text and "Ada Associate" in page.text
