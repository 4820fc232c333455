"""Settings → Channels: SMTP and Twilio credentials stored encrypted, never shown back, tried with
"Send a test" (a real aiosmtpd server and tests/fake_twilio.py on 127.0.0.1), config still wins,
and a saved change reaches the web app and the worker without a restart."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from clientbook import create_app
from clientbook.extensions import db
from clientbook.mail import mail_config, mail_configured
from clientbook.messaging import outbox
from clientbook.messaging.channels.twilio import twilio_settings
from clientbook.messaging.credentials import decrypt
from clientbook.models import ChannelCredentials
from tests.test_digest import Inbox, _free_port
from tests.support.messaging import always_open, enable_channels, fake, make_client  # noqa: F401

SID = "AC" + "0" * 32


def check_login(server, session, envelope, mechanism, auth_data):
    # handled=False: aiosmtpd answers "535 credentials invalid" itself.
    return AuthResult(success=(auth_data.login, auth_data.password) == (b"shop", b"s3cret"), handled=False)


@pytest.fixture
def smtp_server():
    """Plain SMTP with a login, as a relay on a trusted network would be."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port(), authenticator=check_login,
                            auth_require_tls=False)
    controller.start()
    yield controller.port, inbox, None
    controller.stop()


def mail_form(port, **overrides) -> dict:
    return {"mail_server": "127.0.0.1", "mail_port": port, "mail_security": "none", "mail_username": "shop",
            "mail_password": "s3cret", "mail_from": "Maison Perle <shop@maison-perle.test>",
            "test_to": "owner@maison-perle.com", **overrides}


def test_saved_email_settings_are_encrypted_never_shown_and_used(app, client, auth, smtp_server):
    port, inbox, _logins = smtp_server
    auth.login("owner")
    assert client.post("/messaging/channels/email", data={**mail_form(port), "action": "save"}).status_code == 303
    with app.app_context():
        row = db.session.scalar(sa.select(ChannelCredentials))
        assert row.mail_password_encrypted and "s3cret" not in row.mail_password_encrypted
        assert decrypt(row.mail_password_encrypted) == "s3cret"
        assert mail_configured()
    page = client.get("/messaging/channels").data
    assert b"s3cret" not in page and b"A password is saved" in page
    # Saving again with the password left empty keeps it.
    client.post("/messaging/channels/email", data={**mail_form(port, mail_password=""), "action": "save"})
    with app.app_context():
        assert decrypt(db.session.scalar(sa.select(ChannelCredentials)).mail_password_encrypted) == "s3cret"
        enable_channels(email_enabled=True)
        always_open()
        camille = make_client()
        message, _ = outbox.queue_message(client=camille, channel="email", body="Hello", subject="Hi",
                                          to_address=camille.email)
        db.session.commit()
        assert outbox.deliver(message.id) == "sent"
    assert inbox.messages and "camille@example.com" in inbox.messages[-1]["to"]


def test_send_a_test_before_saving(app, client, auth, smtp_server):
    port, inbox, _logins = smtp_server
    auth.login("owner")
    response = client.post("/messaging/channels/email", data={**mail_form(port), "action": "test"})
    assert response.status_code == 200 and b"Test email sent to owner@maison-perle.com" in response.data
    assert len(inbox.messages) == 1
    with app.app_context():
        assert db.session.scalar(sa.select(ChannelCredentials)) is None  # nothing saved by a test


@pytest.mark.parametrize("overrides, words", [
    ({"mail_password": "wrong"}, b"Bad login"),
    ({"mail_security": "starttls"}, b"No TLS"),
    ({"mail_security": "ssl"}, b"No TLS"),
    ({"mail_port": "closed"}, b"Unreachable host"),
])
def test_each_failure_gets_a_clear_message(client, auth, smtp_server, overrides, words):
    port, inbox, _logins = smtp_server
    if overrides.get("mail_port") == "closed":
        overrides = {"mail_port": _free_port()}
    auth.login("owner")
    response = client.post("/messaging/channels/email", data={**mail_form(port, **overrides), "action": "test"})
    assert response.status_code == 422 and words in response.data
    assert inbox.messages == []


def test_twilio_test_and_401(app, client, auth, fake):
    app.config["TWILIO_BASE_URL"] = fake.base_url
    auth.login("owner")
    form = {"twilio_account_sid": fake.account_sid, "twilio_auth_token": "not-the-token",
            "twilio_from": "+33100000000", "test_to": "+33612345678", "action": "test"}
    response = client.post("/messaging/channels/sms", data=form)
    assert response.status_code == 422 and b"Twilio 401" in response.data
    response = client.post("/messaging/channels/sms", data={**form, "twilio_auth_token": fake.auth_token})
    assert response.status_code == 200 and b"Test SMS sent to +33612345678" in response.data
    assert [m["to"] for m in fake.messages] == ["+33612345678"]
    assert client.post("/messaging/channels/sms", data={**form, "twilio_auth_token": fake.auth_token,
                                                        "action": "save"}).status_code == 303
    page = client.get("/messaging/channels").data
    assert fake.auth_token.encode() not in page and fake.account_sid.encode() not in page
    with app.app_context():
        assert twilio_settings()["auth_token"] == fake.auth_token


def test_bad_input_is_explained_next_to_the_field(client, auth):
    auth.login("owner")
    response = client.post("/messaging/channels/sms", data={"twilio_account_sid": "nope", "action": "save"})
    assert response.status_code == 422 and b"starts with AC" in response.data
    response = client.post("/messaging/channels/email", data={"mail_server": "smtp.x.com", "mail_from": "not mail",
                                                              "mail_port": "99999", "action": "save"})
    assert response.status_code == 422 and b"An email address" in response.data


def test_only_the_owner_connects_providers(client, auth):
    auth.login("manager")
    assert client.post("/messaging/channels/email", data={"action": "save"}).status_code == 403
    assert client.post("/messaging/channels/sms", data={"action": "test"}).status_code == 403


def test_config_wins_and_the_page_says_so(app, client, auth, smtp_server):
    port, _inbox, _logins = smtp_server
    auth.login("owner")
    client.post("/messaging/channels/email", data={**mail_form(port), "action": "save"})
    app.config.update(MAIL_SERVER="mail.config.test", MAIL_FROM="config@maison-perle.test")
    with app.app_context():
        assert mail_config()["MAIL_SERVER"] == "mail.config.test"
    assert b"wins over anything saved here" in client.get("/messaging/channels").data


def test_a_change_reaches_another_process_without_restart(app, client, auth, smtp_server, tmp_path):
    """The worker is another app on the same database: it reads the saved settings on its next task."""
    port, _inbox, _logins = smtp_server
    worker = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                         "SECRET_KEY": app.config["SECRET_KEY"], "HUEY_IMMEDIATE": True, "TESTING": True})
    with worker.app_context():
        assert not mail_configured()
    auth.login("owner")
    client.post("/messaging/channels/email", data={**mail_form(port), "action": "save"})
    with worker.app_context():
        assert mail_config()["MAIL_SERVER"] == "127.0.0.1" and mail_config()["MAIL_PASSWORD"] == "s3cret"
    client.post("/messaging/channels/email", data={**mail_form(port, mail_server=""), "action": "save"})
    with worker.app_context():
        assert not mail_configured()
        db.session.remove()
        db.engine.dispose()


def test_another_secret_key_cannot_read_them(app, client, auth, smtp_server):
    port, _inbox, _logins = smtp_server
    auth.login("owner")
    client.post("/messaging/channels/email", data={**mail_form(port), "action": "save"})
    app.config["SECRET_KEY"] = "another-secret"
    with app.app_context():
        assert mail_config()["MAIL_PASSWORD"] == ""
    assert client.get("/messaging/channels").status_code in (200, 302)
