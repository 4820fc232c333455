import sqlalchemy as sa
import pytest

from clientbook.extensions import db
from clientbook.models import Role, Shop, User
from tests.conftest import PASSWORD
from tests.support.html import roots


def test_first_visit_goes_to_setup_and_creates_owner(client, app):
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/setup")
    response = client.post("/setup", data={
        "shop_name": "Maison Perle", "country": "FR", "timezone": "Europe/Paris", "currency": "EUR",
        "owner_name": "Olivia Owner", "email": "Olivia@Maison-Perle.com", "password": PASSWORD,
    })
    assert response.status_code == 302
    with app.app_context():
        owner = db.session.scalar(sa.select(User))
        assert owner.email == "olivia@maison-perle.com" and owner.role == Role.OWNER
        assert owner.password_hash.startswith("$argon2id$")
        assert db.session.scalar(sa.select(Shop)).timezone == "Europe/Paris"
    # Set-up can't run twice.
    assert client.get("/setup").status_code == 302


def test_setup_rejects_short_password_and_saves_nothing(client, app):
    response = client.post("/setup", data={
        "shop_name": "Maison Perle", "country": "FR", "timezone": "Europe/Paris", "currency": "EUR",
        "owner_name": "Olivia", "email": "olivia@maison-perle.com", "password": "short",
    })
    assert response.status_code == 422
    assert b"at least 12 characters" in response.data
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Shop)) == 0


def test_login_and_logout(client, auth):
    assert auth.login("owner").status_code == 302
    assert client.get("/settings/").status_code == 200
    auth.logout()
    assert client.get("/settings/").status_code == 302


def test_wrong_password_is_refused(client, auth):
    response = auth.login("owner", password="wrong password!")
    assert response.status_code == 401
    assert b"don&#39;t match" in response.data


def test_login_is_rate_limited_per_account(client, auth, app):
    for _ in range(app.config["LOGIN_RATE_LIMIT"]):
        auth.login("owner", password="wrong password!")
    response = auth.login("owner")  # even the right password waits now
    assert response.status_code == 429
    assert b"Too many failed attempts" in response.data


def test_deactivating_a_user_ends_their_session(app, shop):
    associate_client = app.test_client()
    owner_client = app.test_client()
    from tests.conftest import AuthActions

    AuthActions(associate_client).login("associate")
    AuthActions(owner_client).login("owner")
    assert associate_client.get("/settings/welcome").status_code == 200
    owner_client.post(f"/staff/{shop['associate']}/active", data={"active": "0"})
    assert associate_client.get("/settings/welcome").status_code == 302
    assert AuthActions(app.test_client()).login("associate").status_code == 401


def test_last_owner_cannot_be_deactivated(client, auth, shop, app):
    auth.login("owner")
    client.post(f"/staff/{shop['owner']}/active", data={"active": "0"})
    with app.app_context():
        assert db.session.get(User, shop["owner"]).active


@pytest.mark.parametrize("who, path, expected", [
    ("owner", "/staff", 200),
    ("manager", "/staff", 200),
    ("associate", "/staff", 403),
    ("owner", "/settings/shop", 200),
    ("manager", "/settings/shop", 403),
    ("manager", "/settings/", 200),
    ("associate", "/settings/", 403),
    ("manager", "/settings/preferences", 200),
    ("associate", "/settings/preferences", 403),
])
def test_role_access(client, auth, who, path, expected):
    auth.login(who)
    assert client.get(path).status_code == expected


def test_owner_creates_staff_with_validation(client, auth, app):
    auth.login("owner")
    response = client.post("/staff", data={"name": "New", "email": "ada@maison-perle.com", "role": "associate", "password": PASSWORD})
    assert response.status_code == 422 and b"already uses this email" in response.data
    response = client.post("/staff", data={"name": "Noor N", "email": "noor@maison-perle.com", "role": "associate", "password": PASSWORD})
    assert response.status_code == 303
    with app.app_context():
        assert db.session.scalar(sa.select(User).where(User.email == "noor@maison-perle.com")).role == Role.ASSOCIATE


def test_pages_send_security_headers(client, auth):
    auth.login("owner")
    response = client.get("/settings/")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]


def test_preference_keys_toggle_in_place_with_htmx(client, auth, app):
    from clientbook.models import PreferenceKey

    auth.login("manager")
    client.post("/settings/preferences", data={"name": "Ring size"})
    with app.app_context():
        key_id = db.session.scalar(sa.select(PreferenceKey.id).where(PreferenceKey.name == "Ring size"))
    response = client.post(f"/settings/preferences/{key_id}/active", data={"active": "0"},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert roots(body)[0].get("id") == "key-list" and "<html" not in body
    assert "Show Ring size" in body
    assert "HX-Request" in response.headers["Vary"]


def test_preference_key_names_are_unique(client, auth):
    auth.login("manager")
    client.post("/settings/preferences", data={"name": "Metal"})
    response = client.post("/settings/preferences", data={"name": "metal"})
    assert response.status_code == 422 and b"already exists" in response.data


@pytest.mark.parametrize("path, tab", [
    ("/settings/", "Settings"),
    ("/staff", "Settings"),
    ("/import", "Settings"),
    ("/settings/reminders", "Settings"),
    ("/messaging/templates", "Settings"),
    ("/today", "Today"),
    ("/clients", "Clients"),
    ("/messaging/campaigns", "Campaigns"),
])
def test_navigation_highlights_the_section(client, auth, path, tab):
    auth.login("owner")
    page = client.get(path).get_data(as_text=True)
    current = page.split('aria-current="page"')[1].split("</span>")[0]
    assert current.endswith(tab) and page.count('aria-current="page"') == 1


def test_static_files_and_pages_are_sent_gzipped(client, auth):
    script = client.get("/static/vendor/htmx.min.js", headers={"Accept-Encoding": "gzip"})
    assert script.headers.get("Content-Encoding") == "gzip"
    auth.login("owner")
    page = client.get("/settings/", headers={"Accept-Encoding": "gzip"})
    assert page.headers.get("Content-Encoding") == "gzip"
