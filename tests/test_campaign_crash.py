"""Crash safety: a real Huey consumer killed (SIGKILL) mid-campaign and restarted delivers every
message exactly once to the (fake) provider."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from clientbook.extensions import db
from clientbook.messaging import campaigns
from clientbook.models import Campaign, CampaignRecipient, ClientTag, Message, User
from tests.fake_twilio import FakeTwilio
from tests.support.messaging import always_open, enable_channels, make_client

PROJECT = Path(__file__).resolve().parent.parent
CONSUMER = PROJECT / ".venv" / "bin" / "huey_consumer"
RECIPIENTS = 24


def wait_for(condition, timeout: float, what: str, poll: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(poll)
    raise AssertionError(f"Timed out after {timeout}s waiting for {what}")


class Consumer:
    """One huey_consumer process with the test's database, queue file and fake provider."""

    def __init__(self, env: dict, log_path: Path):
        self.env = env
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [str(CONSUMER), "clientbook.tasks.huey", "--workers", "2", "--worker-type", "thread",
             "--scheduler-interval", "1"],
            cwd=PROJECT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )
        log.close()

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.mark.skipif(not CONSUMER.exists(), reason="huey_consumer is not installed in .venv")
def test_killed_consumer_resumes_campaign_and_sends_each_message_once(app, shop, tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir()
    fake = FakeTwilio(delay=0.15).start()
    with app.app_context():
        enable_channels(sms_enabled=True)
        always_open()
        manager = db.session.get(User, shop["manager"])
        for n in range(RECIPIENTS):
            client = make_client(first_name=f"Client{n}", phone=f"+3361234{n:04d}", email=f"c{n}@example.com")
            db.session.add(ClientTag(client_id=client.id, tag="vip"))
        db.session.commit()
        campaign = Campaign(name="Crash test", channel="sms", body="Hi {first_name}!", rate_per_minute=600,
                            created_by_id=manager.id, segment_json='{"tag": ["vip"]}')
        db.session.add(campaign)
        db.session.commit()
        app.config.update(TWILIO_ACCOUNT_SID=fake.account_sid, TWILIO_AUTH_TOKEN=fake.auth_token,
                          TWILIO_FROM="+33100000000", TWILIO_BASE_URL=fake.base_url)
        # Recipients written, state "sending": the consumer's start-up recovery picks it up.
        assert campaigns.start_campaign(campaign, manager, enqueue=False) == RECIPIENTS
        campaign_id = campaign.id
        database_uri = app.config["SQLALCHEMY_DATABASE_URI"]

    env = {
        **os.environ,
        "PYTHONPATH": str(PROJECT),
        "CLIENTBOOK_HUEY_WORKER": "1",
        "CLIENTBOOK_INSTANCE_PATH": str(instance),
        "CLIENTBOOK_SQLALCHEMY_DATABASE_URI": database_uri,
        "CLIENTBOOK_SECRET_KEY": "test-secret",
        "CLIENTBOOK_TWILIO_ACCOUNT_SID": fake.account_sid,
        "CLIENTBOOK_TWILIO_AUTH_TOKEN": fake.auth_token,
        "CLIENTBOOK_TWILIO_FROM": "+33100000000",
        "CLIENTBOOK_TWILIO_BASE_URL": fake.base_url,
        "CLIENTBOOK_TWILIO_TIMEOUT": "10",
        "CLIENTBOOK_SERVER_URL": "https://shop.example.com",
        # Only one consumer runs here, so anything "sending" at its start belongs to the dead one.
        "CLIENTBOOK_MESSAGING_STALE_SENDING_SECONDS": "0",
    }
    env.pop("CLIENTBOOK_HUEY_FILE", None)
    consumer = Consumer(env, tmp_path / "consumer.log")
    try:
        consumer.start()
        # Kill it while the provider is holding a request open (it records on arrival, answers later).
        wait_for(lambda: len(fake.messages) >= 8, 60, "the first messages to arrive")
        consumer.kill()
        killed_at_count = len(fake.messages)
        assert 0 < killed_at_count < RECIPIENTS, "the kill must land mid-campaign"

        with app.app_context():
            in_flight = db.session.scalar(sa.select(sa.func.count()).select_from(Message)
                                          .where(Message.state == "sending"))
        restarted_at = time.monotonic()
        consumer.start()

        def finished():
            with app.app_context():
                db.session.expire_all()
                return db.session.get(Campaign, campaign_id).state == "done"

        wait_for(finished, 90, "the campaign to finish after the restart", poll=0.2)
        resumed_seconds = time.monotonic() - restarted_at
    finally:
        consumer.stop()
        fake.stop()
        print((tmp_path / "consumer.log").read_text()[-3000:]) if (tmp_path / "consumer.log").exists() else None

    with app.app_context():
        recipients = db.session.scalars(sa.select(CampaignRecipient)
                                        .where(CampaignRecipient.campaign_id == campaign_id)).all()
        expected_keys = sorted(f"campaign:{campaign_id}:{r.client_id}" for r in recipients)
        states = dict(db.session.execute(sa.select(Message.state, sa.func.count()).group_by(Message.state)).all())

    # Exactly once: every recipient's message reached the provider, none twice.
    assert sorted(fake.keys()) == expected_keys
    assert fake.duplicates == []
    assert len(fake.messages) == RECIPIENTS
    # The message in flight at the kill is "unknown" (for a person to check), never resent blindly.
    assert states.get("unknown", 0) == in_flight <= 2
    assert states.get("sent", 0) == RECIPIENTS - in_flight
    assert {r.state for r in recipients} <= {"sent", "unknown"}
    print(f"\ncrash test: killed after {killed_at_count} arrivals ({in_flight} in flight -> unknown); "
          f"restarted consumer finished the other {RECIPIENTS - killed_at_count} in {resumed_seconds:.1f}s")
