"""Sign-in protection: throttling without lock-out, trusted devices, proxies, timing, `next`, passwords, resets."""
from __future__ import annotations

import socket
from datetime import timedelta

import pytest
import sqlalchemy as sa

from clientbook.extensions import db
from clientbook.models import LoginAttempt, PasswordReset, User, utcnow
from clientbook.passwords import password_problem
from tests.conftest import PASSWORD
from tests.support.html import one

OWNER = "olivia@maison-perle.com"
NEW_PASSWORD = "amber lantern gravel orchid"


def _login(client, who=OWNER, password=PASSWORD, address="127.0.0.1", **kwargs):
    return client.post("/login", data={"email": who, "password": password}, environ_base={"REMOTE_ADDR": address},
                       **kwargs)


def _age_attempts(app, seconds):
    with app.app_context():
        for attempt in db.session.scalars(sa.select(LoginAttempt)):
            attempt.at -= timedelta(seconds=seconds)
        db.session.commit()


# ---- throttling -------------------------------------------------------------------------

def test_wrong_passwords_from_elsewhere_do_not_lock_the_owner_out(app, shop):
    attacker = app.test_client()
    for _ in range(12):
        _login(attacker, password="guess guess guess", address="198.51.100.7")
    owner = app.test_client()
    # The account is slowed down, not locked: a short wait, then the right password works.
    response = _login(owner, address="192.0.2.10")
    assert response.status_code == 429 and b"Wait" in response.data
    assert int(response.headers["Retry-After"]) <= app.config["LOGIN_SLOWDOWN_SECONDS"] + 1
    _age_attempts(app, app.config["LOGIN_SLOWDOWN_SECONDS"])
    assert _login(owner, address="192.0.2.10").status_code == 302


def test_a_device_that_signed_in_before_keeps_signing_in_during_an_attack(app, shop):
    tablet = app.test_client()
    assert _login(tablet, address="192.0.2.10").status_code == 302
    tablet.post("/logout")
    attacker = app.test_client()
    for _ in range(12):
        _login(attacker, password="guess guess guess", address="192.0.2.10")  # same shop address, even
    assert _login(tablet, address="192.0.2.10").status_code == 302


def test_a_forged_device_cookie_does_not_exempt_anyone(app, shop):
    attacker = app.test_client()
    attacker.set_cookie("clientbook_device", "eyJuIjoieCIsInUiOlsxXX0.forged.sig", domain="clientbook.test")
    for _ in range(6):
        _login(attacker, password="guess guess guess")
    assert _login(attacker).status_code == 429


def test_the_same_address_and_account_is_throttled_for_the_window(app, shop):
    attacker = app.test_client()
    for _ in range(app.config["LOGIN_RATE_LIMIT"]):
        _login(attacker, password="guess guess guess", address="198.51.100.7")
    _age_attempts(app, app.config["LOGIN_SLOWDOWN_SECONDS"] + 1)  # past the account's slow-down
    response = _login(attacker, address="198.51.100.7")
    assert response.status_code == 429 and b"from this device" in response.data
    _age_attempts(app, app.config["LOGIN_RATE_WINDOW_SECONDS"])
    assert _login(attacker, address="198.51.100.7").status_code == 302


def test_many_failures_from_one_address_do_not_block_everyone_there(app, shop):
    shop_floor = app.test_client()
    for n in range(25):
        _login(shop_floor, who=f"nobody{n}@maison-perle.com", password="guess guess guess", address="192.0.2.10")
    colleague = app.test_client()
    assert _login(colleague, who="ada@maison-perle.com", address="192.0.2.10").status_code == 302


def test_the_proxy_address_is_honoured_only_when_configured(app, shop):
    def fail(client, who):
        _login(client, who=who, password="guess guess guess", headers={"X-Forwarded-For": "203.0.113.1"})

    # Not trusted: X-Forwarded-For is ignored, everyone is 127.0.0.1.
    fail(app.test_client(), OWNER)
    with app.app_context():
        keys = set(db.session.scalars(sa.select(LoginAttempt.key)))
    assert f"pair:{OWNER}|127.0.0.1" in keys and not any("203.0.113.1" in key for key in keys)

    from clientbook import create_app

    proxied = create_app({**app.config, "TRUSTED_PROXIES": 1})
    fail(proxied.test_client(), "max@maison-perle.com")
    with proxied.app_context():
        keys = set(db.session.scalars(sa.select(LoginAttempt.key)))
    assert "pair:max@maison-perle.com|203.0.113.1" in keys


def test_old_attempts_are_pruned(app, shop):
    client = app.test_client()
    _login(client, password="guess guess guess")
    _age_attempts(app, app.config["LOGIN_RATE_WINDOW_SECONDS"] + 60)
    _login(client, who="max@maison-perle.com", password="guess guess guess")
    with app.app_context():
        ats = list(db.session.scalars(sa.select(LoginAttempt.at)))
    assert ats and all(at > utcnow() - timedelta(minutes=1) for at in ats)


# ---- timing ---------------------------------------------------------------------------------

def test_every_outcome_does_the_same_password_work(app, shop, monkeypatch):
    with app.app_context():
        db.session.get(User, shop["associate"]).active = False
        db.session.commit()
    from argon2 import PasswordHasher

    hashes_checked = []
    real_verify = PasswordHasher.verify
    monkeypatch.setattr(PasswordHasher, "verify", lambda *a: hashes_checked.append(1) or real_verify(*a))
    for who, password in [("nobody@maison-perle.com", PASSWORD), ("ada@maison-perle.com", PASSWORD),
                          (OWNER, "wrong password here")]:
        hashes_checked.clear()
        assert _login(app.test_client(), who=who, password=password).status_code == 401
        assert len(hashes_checked) == 1, who


# ---- next ------------------------------------------------------------------------------------

@pytest.mark.parametrize("target", [
    "/%09/evil.example", "/\t/evil.example", "//evil.example", "/\\evil.example", "\\\\evil.example",
    "https://evil.example/", " //evil.example", "/\r\n/evil.example", "javascript:alert(1)", "/\x00/evil",
    "http:/evil.example", "\n/\t/evil.example",
])
def test_next_never_leaves_the_site(client, shop, target):
    response = _login(client, query_string={"next": target})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/") and not location.startswith("//") and "evil" not in location.split("/")[1]


def test_next_keeps_a_same_site_path(client, shop):
    response = _login(client, query_string={"next": "/clients?tag=vip"})
    assert response.headers["Location"] == "/clients?tag=vip"


def test_reminder_and_message_next_fields_use_the_same_check(client, auth, app, shop):
    from clientbook.models import Message
    from tests.support.reminders import add_client

    auth.login("owner")
    with app.app_context():
        marc = add_client(owner_id=shop["owner"])
        message = Message(client_id=marc.id, channel="sms", to_address="+33612345678", body="Hi", state="unknown",
                          idempotency_key="t-1")
        db.session.add(message)
        db.session.commit()
        handoff = Message(client_id=marc.id, user_id=shop["owner"], channel="handoff_sms", to_address="+33612345678",
                          body="Hi", state="sent", idempotency_key="t-2")
        db.session.add(handoff)
        db.session.commit()
        client_id, message_id, handoff_id = marc.id, message.id, handoff.id
    for target in ("/\t/evil.example", "/\\evil.example", "/\r\n/evil.example"):
        response = client.post(f"/messaging/messages/{handoff_id}/sent", data={"sent": "yes", "next": target})
        assert response.status_code == 303 and response.headers["Location"] == f"/clients/{client_id}"
        response = client.post(f"/reminders/client/{client_id}", data={
            "reason": "Call back", "due_date": "2030-01-01", "owner_id": "0", "next": target})
        assert response.status_code == 303 and response.headers["Location"] == f"/clients/{client_id}"
        response = client.post(f"/messaging/messages/{message_id}/checked", data={"state": "sent", "next": target})
        assert response.status_code == 303 and response.headers["Location"] == "/messaging/channels"


# ---- passwords --------------------------------------------------------------------------------

@pytest.mark.parametrize("password, problem", [
    ("", "spaces alone"),
    ("              ", "spaces alone"),
    ("elevenchars", "at least 12"),
    ("password1234", "too easy"),
    ("qwertyuiop123", "too easy"),
    ("aaaaaaaaaaaaaaaa", "too easy"),
    ("iloveyou2020!", "too easy"),
    ("maisonperle2026", "too easy"),  # the shop's own name
])
def test_weak_passwords_are_refused(password, problem):
    found = password_problem(password, related=("Maison Perle", "Olivia Owner", "olivia@maison-perle.com"))
    assert found is not None and problem in found


@pytest.mark.parametrize("password", [PASSWORD, NEW_PASSWORD, "Tr4ck-the-Pearl-Ledger-91"])
def test_strong_passwords_pass(password):
    assert password_problem(password) is None


def test_staff_passwords_follow_the_rule(client, auth):
    auth.login("owner")
    response = client.post("/staff", data={"name": "Noor N", "email": "noor@maison-perle.com", "role": "associate",
                                           "password": "password1234"})
    assert response.status_code == 422 and b"too easy to guess" in response.data


# ---- reset links -----------------------------------------------------------------------------

def _reset_link(page: str) -> str:
    return one(page, 'input[value^="http://clientbook.test/reset/"]')["value"].removeprefix("http://clientbook.test")


def test_a_reset_link_is_shown_once_without_email_and_works_once(app, shop):
    owner = app.test_client()
    _login(owner)
    associate = app.test_client()
    _login(associate, "ada@maison-perle.com")
    response = owner.post(f"/staff/{shop['associate']}/reset-link")
    assert response.status_code == 200
    link = _reset_link(response.get_data(as_text=True))
    assert link.startswith("/reset/")
    with app.app_context():
        stored = db.session.scalar(sa.select(PasswordReset.token_hash))
    assert link.rsplit("/", 1)[1] not in stored  # only a hash is kept
    visitor = app.test_client()
    assert visitor.get(link).status_code == 200
    response = visitor.post(link, data={"password": "password1234", "confirm": "password1234"})
    assert response.status_code == 422 and b"too easy" in response.data
    assert visitor.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 303
    assert visitor.get(link).status_code == 404  # once only
    assert associate.get("/today").status_code == 302  # their old sessions ended
    assert _login(app.test_client(), "ada@maison-perle.com", NEW_PASSWORD).status_code == 302


def test_managers_reset_associates_only(app, shop):
    manager = app.test_client()
    _login(manager, "max@maison-perle.com")
    assert manager.post(f"/staff/{shop['associate']}/reset-link").status_code == 200
    assert manager.post(f"/staff/{shop['owner']}/reset-link").status_code == 403
    associate = app.test_client()
    _login(associate, "ada@maison-perle.com")
    assert associate.post(f"/staff/{shop['associate2']}/reset-link").status_code == 403


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_reset_link_is_emailed_when_mail_is_set_up(app, shop):
    import email
    from email import policy

    from aiosmtpd.controller import Controller

    received = []

    class Inbox:
        async def handle_DATA(self, server, session, envelope):
            received.append(email.message_from_bytes(envelope.content, policy=policy.default))
            return "250 OK"

    controller = Controller(Inbox(), hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_USE_TLS=False,
                          MAIL_FROM="Maison Perle <shop@maison-perle.test>")
        owner = app.test_client()
        _login(owner)
        response = owner.post(f"/staff/{shop['associate']}/reset-link")
    finally:
        controller.stop()
    assert response.status_code == 303
    assert b"/reset/" not in owner.get(response.headers["Location"]).data  # not shown on screen
    assert len(received) == 1 and received[0]["To"] == "ada@maison-perle.com"
    body = received[0].get_content()
    link = body.split("http://clientbook.test")[1].split()[0]
    visitor = app.test_client()
    assert visitor.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 303
