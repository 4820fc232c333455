"""SMTP safety against a real aiosmtpd server on 127.0.0.1: certificates are verified, and a
password never travels without TLS unless the shop says the server is trusted without it."""
from __future__ import annotations

import ssl
import subprocess
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from clientbook.mail import MailNotSecure, send_email
from tests.test_digest import Inbox, _free_port


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1, as a shop's own mail server might have."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


class Logins:
    def __init__(self):
        self.seen: list[tuple[str, bool]] = []

    def __call__(self, server, session, envelope, mechanism, auth_data):
        assert isinstance(auth_data, LoginPassword)
        self.seen.append((auth_data.login.decode(), session.ssl is not None))
        return AuthResult(success=auth_data.password == b"s3cret")


def start_server(certificate=None):
    inbox, logins = Inbox(), Logins()
    options = dict(authenticator=logins, auth_require_tls=False)
    if certificate:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*map(str, certificate))
        options["tls_context"] = context
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port(), **options)
    controller.start()
    return controller, inbox, logins


@pytest.fixture
def server(request, certificate):
    controller, inbox, logins = start_server(certificate if request.param == "starttls" else None)
    yield controller.port, inbox, logins
    controller.stop()


def send(app, port, **config):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_FROM="Shop <shop@maison-perle.test>",
                      MAIL_USERNAME="shop", MAIL_PASSWORD="s3cret", **config)
    message = EmailMessage()
    message["To"], message["Subject"] = "ada@example.com", "Hello"
    message.set_content("Hi")
    with app.app_context():
        send_email(message)


@pytest.mark.parametrize("server", ["plain"], indirect=True)
def test_password_is_not_sent_when_the_server_offers_no_tls(app, server):
    port, inbox, logins = server
    with pytest.raises(MailNotSecure, match="password was not sent"):
        send(app, port)
    assert logins.seen == [] and inbox.messages == []


@pytest.mark.parametrize("server", ["plain"], indirect=True)
def test_plain_login_only_when_explicitly_allowed(app, server):
    port, inbox, logins = server
    send(app, port, MAIL_ALLOW_PLAIN_LOGIN=True)
    assert logins.seen == [("shop", False)] and len(inbox.messages) == 1


@pytest.mark.parametrize("server", ["starttls"], indirect=True)
def test_an_untrusted_certificate_is_refused_before_the_password(app, server):
    port, inbox, logins = server
    with pytest.raises(ssl.SSLCertVerificationError):
        send(app, port)
    assert logins.seen == [] and inbox.messages == []


@pytest.mark.parametrize("server", ["starttls"], indirect=True)
def test_the_shops_own_authority_makes_the_certificate_trusted(app, server, certificate):
    port, inbox, logins = server
    send(app, port, MAIL_CA_FILE=str(certificate[0]))
    assert logins.seen == [("shop", True)] and len(inbox.messages) == 1


@pytest.mark.parametrize("server", ["starttls"], indirect=True)
def test_verification_can_be_turned_off_explicitly(app, server):
    port, inbox, logins = server
    send(app, port, MAIL_TLS_VERIFY=False)
    assert logins.seen == [("shop", True)] and len(inbox.messages) == 1
