"""Server-side sessions: sign-out, sign out everywhere, password changes, remember-me, headers, htmx."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

import pytest
import sqlalchemy as sa

from clientbook.extensions import db
from clientbook.models import User, UserSession
from tests.conftest import PASSWORD, AuthActions

NEW_PASSWORD = "amber lantern gravel orchid"
OWNER = "olivia@maison-perle.com"
DOMAIN = "clientbook.test"  # the test app's SERVER_NAME


def _copy_cookies(source, target, names=("session", "remember_token")):
    for name in names:
        cookie = source.get_cookie(name, domain=DOMAIN)
        if cookie is not None:
            target.set_cookie(name, cookie.value, domain=DOMAIN)


def _login(client, who=OWNER, password=PASSWORD, remember=False, address="127.0.0.1"):
    data = {"email": who, "password": password}
    if remember:
        data["remember"] = "y"
    return client.post("/login", data=data, environ_base={"REMOTE_ADDR": address})


def test_a_copied_session_cookie_stops_working_after_sign_out(app, shop):
    browser = app.test_client()
    assert _login(browser).status_code == 302
    thief = app.test_client()
    _copy_cookies(browser, thief, names=("session",))
    assert thief.get("/settings/", environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 200
    browser.post("/logout")
    assert thief.get("/settings/", environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 302
    assert thief.get("/settings/").status_code == 302


def test_a_copied_remember_me_cookie_stops_working_after_sign_out(app, shop):
    browser = app.test_client()
    _login(browser, remember=True)
    assert browser.get_cookie("remember_token", domain=DOMAIN) is not None
    thief = app.test_client()
    _copy_cookies(browser, thief, names=("remember_token",))  # no session cookie: only remember-me
    assert thief.get("/settings/").status_code == 200
    browser.post("/logout")
    fresh_thief = app.test_client()
    _copy_cookies(thief, fresh_thief, names=("remember_token",))
    assert fresh_thief.get("/settings/").status_code == 302


def test_sign_out_everywhere_ends_every_session_of_that_person_only(app, shop):
    tablet, phone, colleague = app.test_client(), app.test_client(), app.test_client()
    _login(tablet)
    _login(phone, remember=True)
    _login(colleague, "max@maison-perle.com")
    assert phone.post("/account/sign-out-everywhere").status_code == 303
    assert tablet.get("/settings/").status_code == 302
    assert phone.get("/settings/").status_code == 302
    assert colleague.get("/settings/").status_code == 200


def test_changing_your_own_password_ends_your_other_sessions(app, shop):
    tablet, phone = app.test_client(), app.test_client()
    _login(tablet)
    _login(phone)
    page = phone.get("/account")
    assert page.status_code == 200 and b"signed in on 2 devices" in page.data
    response = phone.post("/account", data={"current_password": "not it at all", "password": NEW_PASSWORD,
                                            "confirm": NEW_PASSWORD})
    assert response.status_code == 422 and b"not your current password" in response.data
    response = phone.post("/account", data={"current_password": PASSWORD, "password": "password1234",
                                            "confirm": "password1234"})
    assert response.status_code == 422 and b"too easy to guess" in response.data
    response = phone.post("/account", data={"current_password": PASSWORD, "password": NEW_PASSWORD,
                                            "confirm": NEW_PASSWORD})
    assert response.status_code == 303
    assert phone.get("/settings/").status_code == 200  # this device goes on, in a new session
    assert tablet.get("/settings/").status_code == 302
    assert _login(app.test_client(), password=PASSWORD).status_code == 401
    assert _login(app.test_client(), password=NEW_PASSWORD).status_code == 302


def test_every_role_can_change_their_own_password(app, shop):
    associate = app.test_client()
    _login(associate, "ada@maison-perle.com")
    response = associate.post("/account", data={"current_password": PASSWORD, "password": NEW_PASSWORD,
                                                "confirm": NEW_PASSWORD})
    assert response.status_code == 303
    assert _login(app.test_client(), "ada@maison-perle.com", NEW_PASSWORD).status_code == 302


def test_owner_setting_a_password_or_deactivating_ends_their_sessions(app, shop):
    owner, associate = app.test_client(), app.test_client()
    _login(owner)
    _login(associate, "ada@maison-perle.com", remember=True)
    owner.post(f"/staff/{shop['associate']}", data={"name": "Ada Associate", "email": "ada@maison-perle.com",
                                                     "role": "associate", "password": NEW_PASSWORD})
    assert associate.get("/today").status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(UserSession).where(
            UserSession.user_id == shop["associate"], UserSession.revoked_at.is_(None))) == 0


def test_the_session_cookie_holds_no_user_id_and_each_sign_in_gets_a_new_session(app, shop):
    browser = app.test_client()
    _login(browser)
    with browser.session_transaction() as session:
        first = session["_user_id"]
    browser.post("/logout")
    _login(browser)
    with browser.session_transaction() as session:
        second = session["_user_id"]
    assert first != second and len(first) > 30 and not first.startswith(f"{shop['owner']}:")


def test_remember_me_lasts_at_most_30_days_and_is_secure_with_the_session_cookie(app, shop):
    app.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_DURATION=timedelta(days=365))
    from clientbook import sessions

    sessions.init_app(app)
    browser = app.test_client()
    response = _login(browser, remember=True)
    cookies = {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}
    remember = cookies["remember_token"]
    expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", remember).group(1))
    assert expires <= datetime.now(timezone.utc) + timedelta(days=30, minutes=1)
    assert "Secure" in remember and "HttpOnly" in remember
    assert "Secure" in cookies["session"] and "Secure" in cookies["clientbook_device"]
    with app.app_context():
        row = db.session.scalar(sa.select(UserSession))
        assert row.expires_at - row.created_at <= timedelta(days=30)
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_no_hsts_without_secure_cookies(client, auth):
    assert "Strict-Transport-Security" not in auth.login().headers


@pytest.mark.parametrize("path", ["/today", "/clients", "/settings/", "/account", "/staff"])
def test_signed_in_pages_are_never_cached(client, auth, path):
    auth.login()
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


def test_static_files_stay_cacheable(client, auth):
    auth.login()
    assert "no-store" not in client.get("/static/css/app.css").headers.get("Cache-Control", "")


def test_htmx_after_the_session_ended_redirects_the_whole_page_and_comes_back(client, auth):
    auth.login()
    auth.logout()
    response = client.get("/clients/search?q=ma", headers={
        "HX-Request": "true", "HX-Current-URL": "http://clientbook.test/clients?tag=vip"})
    assert response.status_code == 401
    assert "<html" not in response.get_data(as_text=True)
    assert response.headers["HX-Redirect"] == "/login?next=/clients?tag%3Dvip"
    # The login page then returns there.
    response = client.post("/login?next=/clients?tag%3Dvip", data={"email": OWNER, "password": PASSWORD})
    assert response.headers["Location"] == "/clients?tag=vip"


def test_htmx_from_another_site_page_does_not_become_the_next_page(client, auth):
    response = client.get("/today", headers={"HX-Request": "true", "HX-Current-URL": "https://evil.example/x"})
    assert response.status_code == 401 and response.headers["HX-Redirect"] == "/login"


def test_a_plain_request_still_redirects_to_login_with_next(client, shop):
    response = client.get("/clients?tag=vip")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/clients?tag%3Dvip"


def test_deactivated_people_cannot_use_a_remembered_session(app, shop):
    associate, owner = app.test_client(), app.test_client()
    _login(associate, "ada@maison-perle.com", remember=True)
    _login(owner)
    owner.post(f"/staff/{shop['associate']}/active", data={"active": "0"})
    returning = app.test_client()
    _copy_cookies(associate, returning, names=("remember_token",))
    assert returning.get("/today").status_code == 302
    with app.app_context():
        assert db.session.get(User, shop["associate"]).active is False
