"""The morning digest, received by a real SMTP server on 127.0.0.1."""
from __future__ import annotations

import email
import socket
from datetime import date, datetime, time, timedelta
from email import policy

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from clientbook.extensions import db
from clientbook.models import DigestDelivery, Reminder, Shop, User
from clientbook.reminders.digest import DigestNotSent, deliver_digest, schedule_digests
from clientbook.shop import shop_zone
from tests.support.reminders import add_client, add_purchase

DAY = date(2026, 3, 10)
# 10:30 in Paris on 10 March 2026 (UTC+1): after the 10:00 opening.
AFTER_OPENING_UTC = datetime(2026, 3, 10, 9, 30)
BEFORE_OPENING_UTC = datetime(2026, 3, 10, 8, 30)


class Inbox:
    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.recipients: list[list[str]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield inbox, controller.port
    controller.stop()


@pytest.fixture
def mail_app(app, smtp):
    _, port = smtp
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=False,
                      MAIL_FROM="Maison Perle <shop@maison-perle.test>", SERVER_URL="http://192.168.1.20:8000")
    return app


@pytest.fixture
def due_book(mail_app, shop):
    with mail_app.app_context():
        marc = add_client("Marc", "Dupont", owner_id=shop["associate"])
        add_purchase(marc, DAY - timedelta(days=2), items=(("Pearl earrings", "Earrings"),))
        for due, reason, owner in [
            (DAY - timedelta(days=1), "Thank-you: bought 2 days ago", shop["associate"]),
            (DAY, "Call when the custom order arrives", shop["associate"]),
            (DAY + timedelta(days=3), "Not yet", shop["associate"]),
            (DAY, "Bea's only", shop["associate2"]),
        ]:
            db.session.add(Reminder(rule_id=None, client_id=marc.id, occurrence=f"m-{reason}", kind="manual",
                                    reason=reason, due_date=due, owner_id=owner))
        db.session.get(User, shop["associate2"]).digest_enabled = False  # Bea turned it off
        db.session.commit()
        return shop


def test_digest_is_sent_once_with_links(mail_app, smtp, due_book):
    inbox, _ = smtp
    from clientbook.reminders.tasks import send_digest

    with mail_app.app_context():
        assert schedule_digests(BEFORE_OPENING_UTC) == []  # the shop hasn't opened yet
        claimed = schedule_digests(AFTER_OPENING_UTC)
        assert claimed == [(due_book["associate"], DAY)]  # Bea opted out; others have nothing due
        for user_id, day in claimed:
            send_digest(user_id, day.isoformat())  # the Huey task, immediate mode

    assert len(inbox.messages) == 1
    message = inbox.messages[0]
    assert inbox.recipients[0] == ["ada@maison-perle.com"]
    assert message["Subject"] == "Today: 2 clients to contact"
    text = message.get_body(("plain",)).get_content()
    assert "Good morning Ada" in text
    assert "Call when the custom order arrives" in text and "Thank-you: bought 2 days ago" in text
    assert "Not yet" not in text and "Bea's only" not in text
    assert "last bought: Pearl earrings" in text
    assert "http://192.168.1.20:8000/today" in text
    html = message.get_body(("html",)).get_content()
    assert 'href="http://192.168.1.20:8000/today"' in html

    # A second run — the scheduler or the task itself — sends nothing more.
    with mail_app.app_context():
        assert schedule_digests(AFTER_OPENING_UTC + timedelta(minutes=15)) == []
        assert deliver_digest(due_book["associate"], DAY) == "skipped"
        delivery = db.session.scalar(sa.select(DigestDelivery))
        assert (delivery.state, delivery.reminder_count, delivery.attempts) == ("sent", 2, 1)
    assert len(inbox.messages) == 1


def test_failed_send_is_retried_then_sent_once(mail_app, smtp, due_book):
    inbox, port = smtp
    with mail_app.app_context():
        mail_app.config["MAIL_PORT"] = _free_port()  # nobody listens there
        with pytest.raises(DigestNotSent) as failure:
            deliver_digest(due_book["associate"], DAY)
        assert failure.value.will_retry
        delivery = db.session.scalar(sa.select(DigestDelivery))
        assert (delivery.state, delivery.attempts) == ("claimed", 1) and delivery.error
        mail_app.config["MAIL_PORT"] = port
        assert deliver_digest(due_book["associate"], DAY) == "sent"
        assert deliver_digest(due_book["associate"], DAY) == "skipped"
    assert len(inbox.messages) == 1


def test_digest_follows_the_shop_opening_time_and_time_zone(mail_app, smtp, due_book):
    with mail_app.app_context():
        shop = db.session.scalar(sa.select(Shop))
        shop.timezone, shop.opening_time = "Pacific/Kiritimati", time(9, 0)
        db.session.commit()
        # 09:00 on 10 March in Kiritimati (UTC+14) is 19:00 UTC on 9 March.
        assert schedule_digests(datetime(2026, 3, 9, 18, 45)) == []
        assert schedule_digests(datetime(2026, 3, 9, 19, 0)) == [(due_book["associate"], DAY)]


def test_no_mail_configured_sends_nothing_and_settings_say_so(app, client, auth, shop):
    with app.app_context():
        assert schedule_digests(AFTER_OPENING_UTC) == []
    auth.login("manager")
    page = client.get("/settings/reminders").get_data(as_text=True)
    assert "Morning emails are off: email is not set up" in page


def test_appointments_or_replies_waiting_bring_the_digest_without_reminders(mail_app, smtp, shop):
    """Nothing due on the list, yet the day holds an appointment (Ada) or a reply waits (Bea)."""
    from clientbook.appointments import booking
    from clientbook.conversations.threads import file_inbound
    from clientbook.models import Appointment
    from clientbook.reminders.tasks import send_digest

    inbox, _ = smtp
    with mail_app.app_context():
        for who in ("owner", "manager"):  # they see every thread; this test is about the associates
            db.session.get(User, shop[who]).digest_enabled = False
        ada_client = add_client("Nora", "Haddad", owner_id=shop["associate"])
        bea_client = add_client("Lou", "Petit", owner_id=shop["associate2"])
        bea_client.phone, bea_client.phone_valid = "+33611223344", True
        db.session.commit()
        assert schedule_digests(AFTER_OPENING_UTC) == []  # nothing at all: no email

        db.session.add(Appointment(client_id=ada_client.id, associate_id=shop["associate"], purpose="fitting",
                                   duration_minutes=45, starts_at=booking.to_utc(DAY, time(15, 0), shop_zone())))
        file_inbound(channel="sms", sender="+33611223344", to="", body="Can I come on Friday?", provider_id="SMd1",
                     received_at=AFTER_OPENING_UTC - timedelta(hours=12))
        db.session.commit()
        claimed = schedule_digests(AFTER_OPENING_UTC)
        assert claimed == [(shop["associate"], DAY), (shop["associate2"], DAY)]
        for user_id, day in claimed:
            send_digest(user_id, day.isoformat())
        assert schedule_digests(AFTER_OPENING_UTC + timedelta(minutes=15)) == []

    assert inbox.recipients == [["ada@maison-perle.com"], ["bea@maison-perle.com"]]
    ada, bea = inbox.messages
    assert ada["Subject"] == "Today: 1 appointment"
    text = ada.get_body(("plain",)).get_content()
    assert "No client to contact today" in text and "15:00 Nora Haddad: fitting (45 min)" in text
    assert "REPLIES WAITING" not in text and "http://192.168.1.20:8000/today" in text
    assert bea["Subject"] == "Today: 1 reply waiting"
    text = bea.get_body(("plain",)).get_content()
    assert "REPLIES WAITING (1)" in text and "Lou Petit: Can I come on Friday?" in text
    assert "APPOINTMENTS TODAY" not in text
    assert "Lou Petit" in bea.get_body(("html",)).get_content()
