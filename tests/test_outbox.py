"""The outbox state machine, against a real SMTP server on 127.0.0.1 (aiosmtpd)."""
from __future__ import annotations

import email
import email.policy
import socket
import threading
from datetime import datetime, time, timedelta

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from clientbook.extensions import db
from clientbook.messaging import outbox
from clientbook.models import Message, Shop, Suppression, utcnow
from tests.support.messaging import always_open, enable_channels, make_client


class Inbox:
    """aiosmtpd handler that keeps what it receives; can refuse the next messages with a code."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes = []
        self.refuse_with: list[str] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            if self.refuse_with:
                return self.refuse_with.pop(0)
            self.envelopes.append(envelope)
            self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp(app):
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=False,
                      MAIL_FROM="Maison Perle <hello@maison-perle.com>", MAIL_TIMEOUT=5,
                      SERVER_URL="https://shop.maison-perle.com")
    yield inbox
    controller.stop()


@pytest.fixture
def email_shop(app, shop, smtp):
    with app.app_context():
        enable_channels(email_enabled=True)
        always_open()
        shop_row = db.session.scalar(sa.select(Shop))
        shop_row.postal_address = "12 rue de la Paix\n75002 Paris"
        db.session.commit()
    return shop


def queue(client, **overrides) -> int:
    values = {"client": client, "channel": "email", "body": "Hello Camille,\n\nYour ring is ready.",
              "subject": "Your ring", "to_address": client.email}
    values.update(overrides)
    message, _created = outbox.queue_message(**values)
    db.session.commit()
    return message.id


def test_email_goes_out_with_headers_text_address_and_one_click_unsubscribe(app, email_shop, smtp):
    with app.app_context():
        camille = make_client()
        message_id = queue(camille)
        assert outbox.deliver(message_id) == "sent"
        message = db.session.get(Message, message_id)
        assert message.state == "sent" and message.provider_id.startswith("<")
        assert message.sent_at is not None and message.attempts == 1
    assert len(smtp.messages) == 1
    mail = smtp.messages[0]
    assert smtp.envelopes[0].rcpt_tos == ["camille@example.com"]
    for header in ("Message-ID", "Date", "From", "To", "Subject"):
        assert mail[header], header
    assert mail["Subject"] == "Your ring" and mail["To"] == "camille@example.com"
    assert mail["From"] == "Maison Perle <hello@maison-perle.com>"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = mail["List-Unsubscribe"]
    assert unsubscribe.startswith("<https://shop.maison-perle.com/u/") and unsubscribe.endswith(">")
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert "Your ring is ready." in text
    assert "12 rue de la Paix" in text and "75002 Paris" in text
    assert unsubscribe[1:-1] in text
    assert mail.get_body(preferencelist=("html",)) is not None


def test_one_click_unsubscribe_revokes_consent_without_a_session(app, email_shop, smtp):
    with app.app_context():
        camille = make_client()
        twin = make_client(first_name="Twin")  # a duplicate card with the same address
        outbox.deliver(queue(camille))
        camille_id, twin_id = camille.id, twin.id
    link = smtp.messages[0]["List-Unsubscribe"][1:-1]
    path = link.removeprefix("https://shop.maison-perle.com")
    anonymous = app.test_client()  # no login, no CSRF token
    app.config["WTF_CSRF_ENABLED"] = True  # the endpoint must work with CSRF protection on
    confirm = anonymous.get(path)
    assert confirm.status_code == 200 and b"Unsubscribe" in confirm.data
    with app.app_context():
        assert db.session.get(type(camille), camille_id).email_opt_in is True  # GET changes nothing
    response = anonymous.post(path, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    with app.app_context():
        from clientbook.models import Client

        assert db.session.get(Client, camille_id).email_opt_in is False
        assert db.session.get(Client, twin_id).email_opt_in is False
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Suppression)) == 1
        # The next email to that address is stopped at the claim, even if someone ticks consent again.
        twin = db.session.get(Client, twin_id)
        twin.email_opt_in = True
        db.session.commit()
        again = queue(twin)
        assert outbox.deliver(again) == "failed"
        assert db.session.get(Message, again).error == "This address opted out."
    assert len(smtp.messages) == 1


def test_tampered_unsubscribe_token_is_refused(app, email_shop, smtp):
    anonymous = app.test_client()
    assert anonymous.post("/u/not-a-real-token").status_code == 404
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Suppression)) == 0


def test_claim_is_won_by_exactly_one_worker(app, email_shop):
    with app.app_context():
        message_id = queue(make_client())
        now = utcnow()
        assert outbox.claim(message_id, now) is True
        assert outbox.claim(message_id, now) is False
        assert outbox.deliver(message_id) == "not-claimed"


def test_idempotency_key_means_one_message(app, email_shop, smtp):
    with app.app_context():
        camille = make_client()
        first = queue(camille, idempotency_key="rule3:1:d7@2026-05-04")
        second = queue(camille, idempotency_key="rule3:1:d7@2026-05-04")
        assert first == second
        assert outbox.deliver(first) == "sent"
        assert outbox.deliver(second) == "not-claimed"  # a task that runs twice
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) == 1
    assert len(smtp.messages) == 1


def test_automated_message_is_queued_once_per_occurrence(app, email_shop, smtp):
    from clientbook.messaging.automation import queue_automated_message
    from tests.support.messaging import make_template

    with app.app_context():
        camille = make_client()
        template = make_template("email", "Happy {date_label}, {first_name}!", subject="For {first_name}")
        for _ in range(3):
            queue_automated_message(camille.id, template.id, "email", "birthday", "2026-05-04",
                                    date_label="birthday")
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) == 1
    assert len(smtp.messages) == 1
    assert smtp.messages[0]["Subject"] == "For Camille"


def test_consent_is_checked_again_at_send_time(app, email_shop, smtp):
    with app.app_context():
        camille = make_client()
        message_id = queue(camille)
        camille.email_opt_in = False  # withdrawn after queueing
        db.session.commit()
        assert outbox.deliver(message_id) == "failed"
        assert db.session.get(Message, message_id).error == "No email consent."
    assert smtp.messages == []


def test_outside_quiet_hours_the_message_waits(app, email_shop, smtp):
    with app.app_context():
        shop = db.session.scalar(sa.select(Shop))
        shop.quiet_hours_start, shop.quiet_hours_end = time(8, 0), time(21, 0)
        db.session.commit()
        camille = make_client(timezone="Asia/Tokyo")  # UTC+9, no daylight saving
        message_id = queue(camille)
        day = (utcnow() + timedelta(days=30)).date()  # in the future, so the wake-up task is truly scheduled
        night = datetime.combine(day, time(14, 30))  # 23:30 in Tokyo
        morning = datetime.combine(day, time(23, 0))  # 08:00 the next day in Tokyo
        assert outbox.deliver(message_id, now=night) == "deferred"
        message = db.session.get(Message, message_id)
        assert message.state == "queued" and message.send_after == morning
        assert message.attempts == 0
        # Not due yet: the sweep leaves it alone, and a stray task cannot claim it.
        assert message_id not in outbox.due_message_ids(morning - timedelta(minutes=1))
        assert outbox.deliver(message_id, now=morning - timedelta(minutes=1)) == "not-claimed"
        assert message_id in outbox.due_message_ids(morning)
        assert outbox.deliver(message_id, now=morning) == "sent"
    assert len(smtp.messages) == 1


def test_connection_refused_is_retried_with_backoff(app, email_shop, smtp):
    app.config["MAIL_PORT"] = free_port()  # nothing listens there
    with app.app_context():
        message_id = queue(make_client())
        assert outbox.deliver(message_id) == "retry"
        message = db.session.get(Message, message_id)
        assert message.state == "queued" and message.attempts == 1
        assert message.send_after > utcnow() + timedelta(seconds=50)
        assert "connect" in message.error.lower()


def test_smtp_temporary_refusal_retries_and_permanent_refusal_fails(app, email_shop, smtp):
    smtp.refuse_with = ["451 4.3.0 Try again later", "550 5.1.1 No such user"]
    with app.app_context():
        first = queue(make_client())
        assert outbox.deliver(first) == "retry"
        second = queue(make_client(email="nobody@example.com"))
        assert outbox.deliver(second) == "failed"
        assert "550" in db.session.get(Message, second).error


def test_gives_up_after_max_attempts(app, email_shop):
    app.config["MAIL_PORT"] = free_port()
    with app.app_context():
        message_id = queue(make_client())
        results = []
        for attempt in range(outbox.MAX_ATTEMPTS):
            message = db.session.get(Message, message_id)
            results.append(outbox.deliver(message_id, now=(message.send_after or utcnow()) + timedelta(seconds=1)))
        assert results[-1] == "failed" and results[:-1] == ["retry"] * (outbox.MAX_ATTEMPTS - 1)
        assert db.session.get(Message, message_id).error.startswith("Gave up after 5 attempts")


def test_stale_sending_rows_are_rescued(app, email_shop):
    with app.app_context():
        camille = make_client()
        before_request, mid_request = queue(camille), queue(camille, body="Second")
        long_ago = utcnow() - timedelta(hours=1)
        outbox.claim(before_request, long_ago)
        outbox.claim(mid_request, long_ago)
        db.session.get(Message, mid_request).request_started_at = long_ago
        db.session.commit()
        assert outbox.rescue_stale_sending(utcnow(), stale_seconds=300) == (1, 1)
        assert db.session.get(Message, before_request).state == "queued"  # never reached the provider
        unknown = db.session.get(Message, mid_request)
        assert unknown.state == "unknown" and "check" in unknown.error
        outbox.mark_checked(unknown, "sent")
        assert unknown.state == "sent"


def test_retry_delay_grows_and_is_capped():
    assert [outbox.retry_delay(n).total_seconds() / 60 for n in (1, 2, 3, 4, 8)] == [1, 2, 4, 8, 60]
