"""Fixtures in the flaskr style: app, client, runner, and an auth helper."""
from __future__ import annotations

import os

import pytest

from clientbook import create_app
from clientbook.extensions import db
from clientbook.models import Role, Shop, User
from clientbook.passwords import hash_password

PASSWORD = "correct horse battery"


def pytest_addoption(parser):
    parser.addoption("--postgres", action="store_true",
                     help="run the tests against a throwaway PostgreSQL server instead of SQLite")


@pytest.fixture(scope="session")
def postgres_url(request):
    """The URL of a throwaway PostgreSQL server for this session, or None (SQLite) without --postgres."""
    if not request.config.getoption("--postgres"):
        yield None
        return
    from tests.postgres_server import PostgresServer, find_pg_bin

    pg_bin = find_pg_bin()
    if pg_bin is None:
        message = "PostgreSQL binaries not found: the PostgreSQL pass was NOT run"
        if os.environ.get("CLIENTBOOK_REQUIRE_POSTGRES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    server = PostgresServer(pg_bin)
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture
def app(tmp_path, postgres_url):
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": postgres_url or f"sqlite:///{tmp_path / 'test.sqlite3'}",
        "HUEY_IMMEDIATE": True,
        "SECRET_KEY": "test-secret",
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": "clientbook.test",
    })
    with app.app_context():
        if postgres_url:
            db.drop_all()  # one server for the session: every test starts from empty tables
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def make_shop(**overrides) -> Shop:
    shop = Shop(**{"name": "Maison Perle", "country": "FR", "timezone": "Europe/Paris", "currency": "EUR", **overrides})
    db.session.add(shop)
    db.session.commit()
    return shop


def make_user(name: str, role: Role, email: str | None = None, password: str = PASSWORD) -> User:
    user = User(name=name, email=email or f"{name.split()[0].lower()}@maison-perle.com", role=role,
                password_hash=hash_password(password))
    db.session.add(user)
    db.session.commit()
    return user


@pytest.fixture
def shop(app):
    """A set-up shop with one owner, one manager and two associates."""
    with app.app_context():
        make_shop()
        users = {
            "owner": make_user("Olivia Owner", Role.OWNER),
            "manager": make_user("Max Manager", Role.MANAGER),
            "associate": make_user("Ada Associate", Role.ASSOCIATE),
            "associate2": make_user("Bea Associate", Role.ASSOCIATE),
        }
        return {key: user.id for key, user in users.items()}


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, who: str = "owner", password: str = PASSWORD):
        email = {"owner": "olivia@maison-perle.com", "manager": "max@maison-perle.com",
                 "associate": "ada@maison-perle.com", "associate2": "bea@maison-perle.com"}.get(who, who)
        return self._client.post("/login", data={"email": email, "password": password})

    def logout(self):
        return self._client.post("/logout")


@pytest.fixture
def auth(client, shop):
    return AuthActions(client)
