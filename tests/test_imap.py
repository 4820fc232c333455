"""Email replies fetched over IMAP from a real Dovecot server on 127.0.0.1: filed into the client's
thread, idempotent on Message-ID, HTML kept as text (escaped on the page), strangers left alone.

Skips loudly when Dovecot is missing, unless CLIENTBOOK_REQUIRE_IMAP=1 (CI) makes that a failure."""
from __future__ import annotations

import imaplib
import os

import pytest
import sqlalchemy as sa

from clientbook.conversations.imap import fetch_replies
from clientbook.extensions import db
from clientbook.models import Message, Thread
from tests.imap_server import PASSWORD, USER, DovecotServer, find_dovecot
from tests.support.messaging import make_client


@pytest.fixture(scope="module")
def dovecot():
    binary = find_dovecot()
    if binary is None:
        message = "Dovecot not found (apt-get install dovecot-imapd): the IMAP tests were NOT run"
        if os.environ.get("CLIENTBOOK_REQUIRE_IMAP") == "1":
            pytest.fail(message)
        pytest.skip(message)
    server = DovecotServer(binary).start()
    yield server
    server.stop()


@pytest.fixture
def mailbox(app, dovecot):
    """An empty INBOX on the server, and the app pointed at it."""
    connection = imaplib.IMAP4("127.0.0.1", dovecot.port)
    connection.login(USER, PASSWORD)
    connection.select("INBOX")
    connection.store("1:*", "+FLAGS", r"\Deleted") if connection.search(None, "ALL")[1][0] else None
    connection.expunge()
    app.config.update(IMAP_HOST="127.0.0.1", IMAP_PORT=dovecot.port, IMAP_SECURITY="none", IMAP_USER=USER,
                      IMAP_PASSWORD=PASSWORD)

    def deliver(sender: str, subject: str, body: str, message_id: str, content_type: str = "text/plain"):
        raw = (f"From: {sender}\r\nTo: {USER}\r\nSubject: {subject}\r\nMessage-ID: {message_id}\r\n"
               f"Date: Tue, 01 Dec 2026 09:30:00 +0100\r\nMIME-Version: 1.0\r\n"
               f"Content-Type: {content_type}; charset=utf-8\r\n\r\n{body}\r\n")
        assert connection.append("INBOX", None, None, raw.encode())[0] == "OK"

    yield deliver
    connection.logout()


def test_replies_of_known_clients_are_filed_once(app, client, auth, mailbox):
    with app.app_context():
        camille = make_client(email="camille@example.com").id
    mailbox("Camille Martin <Camille@Example.com>", "Re: your ring", "Lovely, I'll come Saturday.", "<r1@example.com>")
    mailbox("Newsletter <news@shopping.example>", "Deals!", "Buy now", "<n1@shopping.example>")
    with app.app_context():
        assert fetch_replies() == {"filed": 1, "skipped": 1, "seen": 0}
        assert fetch_replies() == {"filed": 0, "skipped": 1, "seen": 1}  # run again: nothing new
        [message] = db.session.scalars(sa.select(Message))
        assert message.client_id == camille and message.channel == "email" and message.direction == "in"
        assert message.subject == "Re: your ring" and message.provider_id == "<r1@example.com>"
        assert message.sent_at.hour == 8  # 09:30 +01:00, stored in UTC
        thread = db.session.scalar(sa.select(Thread))
        assert thread.client_id == camille and thread.state == "unread"
    # A second mail with the same Message-ID (a copy in another folder, a resend) is not stored again.
    mailbox("camille@example.com", "Re: your ring", "duplicate", "<r1@example.com>")
    with app.app_context():
        assert fetch_replies()["filed"] == 0
        assert db.session.scalar(sa.select(sa.func.count(Message.id))) == 1


def test_html_mail_is_shown_as_escaped_text(app, client, auth, mailbox):
    with app.app_context():
        make_client(email="camille@example.com", assigned_to_id=None)
    mailbox("camille@example.com", "Hi", "<p>Hello <script>alert(1)</script><b>there</b></p>", "<h1@example.com>",
            content_type="text/html")
    with app.app_context():
        assert fetch_replies()["filed"] == 1
        thread_id = db.session.scalar(sa.select(Thread.id))
    auth.login("manager")
    page = client.get(f"/inbox/{thread_id}").data
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in page and b"<script>alert(1)" not in page


def test_wrong_password_raises_for_the_task_to_log(app, mailbox):
    app.config["IMAP_PASSWORD"] = "wrong"
    with app.app_context(), pytest.raises(imaplib.IMAP4.error):
        fetch_replies()


def test_nothing_happens_without_a_mailbox(app):
    with app.app_context():
        assert fetch_replies() == {"filed": 0, "skipped": 0, "seen": 0}
