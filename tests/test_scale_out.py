"""Scale-out: the queue comes from configuration, and periodic work runs exactly once when two web
servers and two consumers share one PostgreSQL and one Redis, with one consumer killed mid-way."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import uuid
from datetime import datetime, time, timedelta, timezone
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

import pytest
import sqlalchemy as sa
from huey.storage import PriorityRedisStorage, SqliteStorage

from clientbook import create_app
from clientbook.extensions import db
from clientbook.models import (
    Campaign, CampaignRecipient, ClientTag, DigestDelivery, Message, Reminder, ReminderRunState, Role, Shop, User,
)
from clientbook.passwords import hash_password
from clientbook.signals import shop_created
from clientbook.tasks import huey, storage_for
from tests.fake_twilio import FakeTwilio
from tests.test_campaign_crash import wait_for
from tests.test_digest import AFTER_OPENING_UTC, DAY, Inbox, _free_port, due_book, mail_app, smtp  # noqa: F401
from tests.support.html import select
from tests.support.messaging import always_open, enable_channels, make_client
from tests.support.reminders import add_client, add_date

PROJECT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
RECIPIENTS = 50
PASSWORD = "scale out password"


def test_queue_storage_comes_from_configuration(tmp_path):
    assert storage_for(None, str(tmp_path / "q.sqlite3")) == (SqliteStorage, {"filename": str(tmp_path / "q.sqlite3")})
    assert storage_for("redis://127.0.0.1:6390/2", "unused") == (PriorityRedisStorage, {"url": "redis://127.0.0.1:6390/2"})
    with pytest.raises(ValueError, match="HUEY_URL"):
        storage_for("amqp://127.0.0.1/", "unused")

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://",
                      "HUEY_IMMEDIATE": False, "HUEY_URL": "redis://127.0.0.1:6390/2"})
    assert isinstance(huey.storage, PriorityRedisStorage)
    assert huey.storage.pool.connection_kwargs["port"] == 6390 and huey.storage.pool.connection_kwargs["db"] == 2
    app.config.update(HUEY_URL=None, HUEY_FILE=str(tmp_path / "q.sqlite3"))
    from clientbook.tasks import configure_huey

    configure_huey(app)
    assert isinstance(huey.storage, SqliteStorage) and huey.storage.filename == str(tmp_path / "q.sqlite3")


@pytest.mark.redis
def test_tasks_go_through_redis(redis_url, tmp_path):
    import redis

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://",
                      "HUEY_IMMEDIATE": False, "HUEY_URL": redis_url})
    from clientbook.reminders.tasks import generate_reminders_now

    with app.app_context():
        generate_reminders_now()
    with redis.Redis.from_url(redis_url) as connection:
        assert huey.pending_count() == 1
        assert any(key.startswith(b"huey.") for key in connection.keys("*"))
    huey.flush()


def test_a_digest_claimed_by_a_worker_that_died_is_sent_by_a_later_run(mail_app, smtp, due_book):
    from clientbook.reminders.digest import deliver_digest, schedule_digests

    inbox, _ = smtp
    ada = due_book["associate"]
    with mail_app.app_context():
        assert schedule_digests(AFTER_OPENING_UTC) == [(ada, DAY)]
        # The worker that claimed it dies before sending: the claim stays, nothing went out.
        db.session.scalar(sa.select(DigestDelivery)).claimed_at = AFTER_OPENING_UTC
        db.session.commit()
        assert schedule_digests(AFTER_OPENING_UTC + timedelta(minutes=5)) == []  # it may still be on its way
        orphaned = schedule_digests(AFTER_OPENING_UTC + timedelta(minutes=15))
        assert orphaned == [(ada, DAY)]
        assert deliver_digest(ada, DAY) == "sent"
        assert deliver_digest(ada, DAY) == "skipped"  # the original task, arriving late
        assert schedule_digests(AFTER_OPENING_UTC + timedelta(minutes=30)) == []
    assert len(inbox.messages) == 1


# ---- two web servers, two consumers, one PostgreSQL, one Redis -------------------------------------

def zone_where_it_is_morning(now_utc: datetime) -> str:
    """An Etc/GMT zone where the local time is between 03:00 and 04:00 now: the shop opened at
    00:00 and the digest window is open, whatever time the suite runs."""
    offset = (3 - now_utc.hour) % 24
    offset = offset - 24 if offset > 14 else offset
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


@pytest.fixture
def scale_database(postgres_server_url):
    """A database of its own on the session's PostgreSQL server."""
    import psycopg

    parts = urlsplit(postgres_server_url.replace("postgresql+psycopg://", "postgresql://"))
    name = f"scale_{uuid.uuid4().hex[:8]}"
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    yield postgres_server_url.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.mark.postgres
def test_reminders_for_a_whole_import_fit_in_postgresql_statements(scale_database):
    """After a 50 000-row import, generation runs for every new client: more ids than PostgreSQL
    takes parameters in one statement (65 535), so they go in batches."""
    from clientbook.reminders.generation import generate_for_clients

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": scale_database,
                      "HUEY_IMMEDIATE": True})
    with app.app_context():
        db.create_all()
        db.session.add(Shop(name="Maison Perle", country="FR", timezone="Europe/Paris", currency="EUR"))
        db.session.flush()
        shop_created.send(app)
        from clientbook.shop import shop_today

        today = shop_today()
        marc = add_client("Marc", "Dupont")
        add_date(marc, "birthday", today.month, min(today.day, 28))
        db.session.commit()
        assert generate_for_clients([*range(marc.id + 1, marc.id + 70_001), marc.id], today) >= 1
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Reminder)
                                 .where(Reminder.client_id == marc.id)) >= 1
        db.session.remove()
        db.engine.dispose()


class Processes:
    """Child processes with logs in a folder; stopped (or killed) at the end."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.children: dict[str, subprocess.Popen] = {}

    def start(self, name: str, command: list[str], env: dict) -> subprocess.Popen:
        with open(self.folder / f"{name}.log", "ab") as log:
            self.children[name] = subprocess.Popen(command, cwd=PROJECT, env=env, stdout=log, stderr=subprocess.STDOUT)
        return self.children[name]

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")

    def kill(self, name: str) -> None:
        child = self.children[name]
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)

    def stop_all(self) -> None:
        for child in self.children.values():
            if child.poll() is None:
                child.terminate()
        for child in self.children.values():
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def last_tick_at(log: str) -> str:
    """When this consumer last started a campaign tick (huey's log lines start with a timestamp)."""
    stamps = re.findall(r"^\[([\d\- :,]+)\].*Executing clientbook\.messaging\.tasks\.campaign_tick_task", log, re.M)
    return stamps[-1] if stamps else ""


def web_session(base: str, email: str):
    from bench.measure import Browserish

    browser = Browserish(base)
    browser.log_in(email, PASSWORD)
    return browser


@pytest.mark.slow
@pytest.mark.redis
@pytest.mark.postgres
def test_two_servers_and_two_consumers_do_periodic_work_exactly_once(scale_database, redis_url, tmp_path):
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    fake = FakeTwilio(delay=0.1).start()
    inbox = Inbox()
    from aiosmtpd.controller import Controller

    mail_server = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    mail_server.start()
    config = {
        "SQLALCHEMY_DATABASE_URI": scale_database, "HUEY_URL": redis_url, "SECRET_KEY": "scale-out-secret",
        "TWILIO_ACCOUNT_SID": fake.account_sid, "TWILIO_AUTH_TOKEN": fake.auth_token, "TWILIO_FROM": "+33100000000",
        "TWILIO_BASE_URL": fake.base_url, "TWILIO_TIMEOUT": "10", "SERVER_URL": "https://shop.example.com",
        "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(mail_server.port), "MAIL_USE_TLS": "false",
        "MAIL_FROM": "Maison Perle <shop@maison-perle.test>",
        # Recovery within the test's time: a send left "sending" for 3 s, a campaign without a tick for 2 s.
        "MESSAGING_STALE_SENDING_SECONDS": "3", "CAMPAIGN_STALLED_AFTER_SECONDS": "2",
    }
    app = create_app({**config, "TESTING": True, "HUEY_IMMEDIATE": False})
    with app.app_context():
        db.create_all()
        db.session.add(Shop(name="Maison Perle", country="FR", timezone=zone_where_it_is_morning(now),
                            currency="EUR", opening_time=time(0, 0)))
        staff = [User(name="Max Manager", email="max@maison-perle.test", role=Role.MANAGER,
                      password_hash=hash_password(PASSWORD))]
        staff += [User(name=f"Ada{n} Associate", email=f"ada{n}@maison-perle.test", role=Role.ASSOCIATE,
                       password_hash=hash_password(PASSWORD)) for n in (1, 2)]
        db.session.add_all(staff)
        db.session.flush()
        shop_created.send(app)  # default rules, as set-up does
        from clientbook.shop import shop_today

        today = shop_today()
        for associate in staff[1:]:
            for n in range(3):
                add_date(add_client(f"Due{n}", f"Of{associate.id}", owner_id=associate.id), "anniversary",
                         today.month, min(today.day, 28))
        db.session.commit()
        enable_channels(sms_enabled=True)
        always_open()
        for n in range(RECIPIENTS):
            client = make_client(first_name=f"Client{n}", last_name="Vip", phone=f"+3361234{n:04d}",
                                 email=f"c{n}@example.com")
            db.session.add(ClientTag(client_id=client.id, tag="vip"))
        campaign = Campaign(name="Spring preview", channel="sms", body="Hi {first_name}!", rate_per_minute=600,
                            created_by_id=staff[0].id, segment_json='{"tag": ["vip"]}')
        db.session.add(campaign)
        db.session.commit()
        campaign_id = campaign.id

    env = {**os.environ, "PYTHONPATH": str(PROJECT), **{f"CLIENTBOOK_{k}": v for k, v in config.items()}}
    for key in ("CLIENTBOOK_HUEY_WORKER", "CLIENTBOOK_HUEY_FILE", "CLIENTBOOK_HUEY_IMMEDIATE_USE_MEMORY"):
        env.pop(key, None)
    processes = Processes(tmp_path)
    ports = [_free_port(), _free_port()]
    try:
        for n in (1, 2):  # "two machines": each process has an instance folder of its own
            (tmp_path / f"instance{n}").mkdir()
            machine = {**env, "CLIENTBOOK_INSTANCE_PATH": str(tmp_path / f"instance{n}")}
            processes.start(f"web{n}", [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{ports[n - 1]}", "--workers",
                                        "1", "--graceful-timeout", "2", "--no-control-socket", "app:app"], machine)
            processes.start(f"consumer{n}", [str(BIN / "huey_consumer"), "clientbook.tasks.huey", "--workers", "2",
                                             "--worker-type", "thread", "--scheduler-interval", "1"],
                            {**machine, "CLIENTBOOK_HUEY_WORKER": "1"})
        bases = [f"http://127.0.0.1:{port}" for port in ports]

        def answering(base):
            try:
                import urllib.request

                return urllib.request.urlopen(base + "/login", timeout=2).status == 200
            except OSError:
                return False

        wait_for(lambda: all(answering(base) for base in bases), 40, "both web servers", poll=0.2)
        wait_for(lambda: all("consumer started" in processes.log(f"consumer{n}").lower() or
                             "Huey consumer" in processes.log(f"consumer{n}") for n in (1, 2)),
                 40, "both consumers", poll=0.2)

        from clientbook.messaging.tasks import outbox_sweep_task
        from clientbook.reminders.tasks import generate_reminders_periodic, send_digests_periodic

        def run_state():
            with app.app_context():
                state = db.session.scalar(sa.select(ReminderRunState))
                result = (state.last_generated_day, state.last_run_created) if state else (None, None)
                db.session.rollback()
                return result

        # Both consumers' schedulers fire the periodic tasks at the same minute: enqueue each twice.
        with app.app_context():
            generate_reminders_periodic()
            generate_reminders_periodic()
        wait_for(lambda: run_state()[0] == today, 30, "the reminder run")
        with app.app_context():
            send_digests_periodic()
            send_digests_periodic()

        # The manager starts the campaign on one web server and follows it on the other.
        manager_a, manager_b = (web_session(base, "max@maison-perle.test") for base in bases)
        response, raw = manager_a.request("GET", f"/messaging/campaigns/{campaign_id}")
        token = select(manager_a.text(response, raw), 'input[name="csrf_token"]')[0]["value"]
        response, _ = manager_a.request("POST", f"/messaging/campaigns/{campaign_id}/send",
                                        body=urlencode({"csrf_token": token}))
        assert response.status == 303

        # Kill (SIGKILL) the consumer that most recently ran a campaign tick, mid-campaign.
        wait_for(lambda: len(fake.messages) >= 12, 40, "the first campaign messages")
        victim = max(("consumer1", "consumer2"), key=lambda name: last_tick_at(processes.log(name)))
        processes.kill(victim)
        killed_at = len(fake.messages)
        assert killed_at < RECIPIENTS, "the kill must land mid-campaign"

        # The survivor's scheduler goes on firing the periodic tasks (every minute; not waited for here).
        with app.app_context():
            generate_reminders_periodic()
            send_digests_periodic()
            outbox_sweep_task()

        def campaign_done():
            with app.app_context():
                state = db.session.get(Campaign, campaign_id).state
                db.session.rollback()
                if state != "done":
                    outbox_sweep_task()  # as the surviving scheduler does every minute
                return state == "done"

        wait_for(campaign_done, 45, "the campaign to finish on the surviving consumer", poll=1.0)
        response, raw = manager_b.request("GET", f"/messaging/campaigns/{campaign_id}/progress")
        assert response.status == 200
        associate = web_session(bases[1], "ada1@maison-perle.test")
        _, response, raw = associate.get_following("/today")
        assert response.status == 200 and "Due0" in associate.text(response, raw)
        wait_for(lambda: len(inbox.messages) >= 2, 20, "the digests")
    finally:
        processes.stop_all()
        fake.stop()
        mail_server.stop()
        for name in ("consumer1", "consumer2", "web1", "web2"):
            if (tmp_path / f"{name}.log").exists():
                print(f"--- {name}\n" + processes.log(name)[-2500:])

    with app.app_context():
        reminders = db.session.scalar(sa.select(sa.func.count()).select_from(Reminder))
        state = db.session.scalar(sa.select(ReminderRunState))
        deliveries = db.session.scalars(sa.select(DigestDelivery)).all()
        recipients = db.session.scalars(sa.select(CampaignRecipient)
                                        .where(CampaignRecipient.campaign_id == campaign_id)).all()
        states = dict(db.session.execute(sa.select(Message.state, sa.func.count())
                                         .where(Message.campaign_id == campaign_id).group_by(Message.state)).all())
        expected_keys = sorted(f"campaign:{campaign_id}:{r.client_id}" for r in recipients)
        db.session.remove()
        db.engine.dispose()

    # One reminder run: it created every reminder, the other runs found the day taken.
    assert reminders >= 6 and state.last_run_created == reminders
    # One digest per associate, each received once.
    assert sorted(d.state for d in deliveries) == ["sent", "sent"]
    assert sorted(m["To"] for m in inbox.messages) == ["ada1@maison-perle.test", "ada2@maison-perle.test"]
    # The campaign: every recipient's message reached the provider at most once; those in flight at
    # the kill are "unknown" for a person to check, never resent blindly.
    assert len(recipients) == RECIPIENTS
    assert fake.duplicates == []
    assert set(fake.keys()) <= set(expected_keys)
    assert states.get("sent", 0) + states.get("unknown", 0) == RECIPIENTS
    assert states.get("unknown", 0) <= 2
    assert states.get("sent", 0) <= len(fake.keys())
    assert {r.state for r in recipients} <= {"sent", "unknown"}
    print(f"\nscale-out: killed {victim} after {killed_at} of {RECIPIENTS} messages; "
          f"{states.get('unknown', 0)} in flight -> unknown; {reminders} reminders in one run; 2 digests")
