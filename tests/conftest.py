"""Fixtures in the flaskr style: app, client, runner, and an auth helper."""
from __future__ import annotations

import itertools
import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest

from clientbook import create_app
from clientbook.extensions import db
from clientbook.models import Role, Shop, User
from clientbook.passwords import hash_password

PASSWORD = "correct horse battery"


def pytest_addoption(parser):
    parser.addoption("--postgres", action="store_true",
                     help="run the tests against a throwaway PostgreSQL server instead of SQLite")
    parser.addoption("--redis", action="store_true",
                     help="queue on a throwaway Redis server instead of SQLite (and run the tests marked redis)")


def _missing(message: str, required_by: str):
    if os.environ.get(required_by) == "1":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def postgres_server_url():
    """A throwaway PostgreSQL server for this session, started on first use."""
    from tests.postgres_server import PostgresServer, find_pg_bin

    pg_bin = find_pg_bin()
    if pg_bin is None:
        _missing("PostgreSQL binaries not found: the PostgreSQL tests were NOT run", "CLIENTBOOK_REQUIRE_POSTGRES")
    server = PostgresServer(pg_bin)
    try:
        yield server.start()
    finally:
        server.stop()


ROOT = Path(__file__).resolve().parent.parent
SLOW_FILES = {"tests/test_bench_smoke.py"}


def _postgres_test_files() -> set[str]:
    """The Makefile's POSTGRES_TESTS: the one list of what the PostgreSQL pass runs."""
    makefile = (ROOT / "Makefile").read_text()
    match = re.search(r"^POSTGRES_TESTS\s*:=((?:.*\\\n)*.*)$", makefile, re.MULTILINE)
    return set(match.group(1).replace("\\\n", " ").split()) if match else set()


def pytest_configure(config):
    """Apps the tests build keep their instance files (task queue, keys) in a folder of this test
    process's own, never in the checkout's instance/: a developer's data stays out of it, and
    parallel workers (pytest-xdist) stay out of each other's way."""
    config.test_instance = tempfile.mkdtemp(prefix="clientbook-test-instance-")
    os.environ["CLIENTBOOK_INSTANCE_PATH"] = config.test_instance


def pytest_unconfigure(config):
    shutil.rmtree(getattr(config, "test_instance", ""), ignore_errors=True)


def pytest_collection_modifyitems(config, items):
    """Markers from where a test lives (the markers are described in pytest.ini), so `-m` selects
    parts of the suite; tests marked redis wait for the Redis pass."""
    postgres_files = _postgres_test_files()
    later = pytest.mark.skip(reason="needs Redis: runs in the Redis pass (make test, or pytest --redis)")
    for item in items:
        path = Path(item.fspath).relative_to(ROOT).as_posix()
        if path.startswith("tests/browser/"):
            item.add_marker(pytest.mark.browser)
            # Under pytest-xdist (make test) a file's flows run on one worker, beside its module fixtures;
            # each worker that runs flows has its own Chromium and live server.
            item.add_marker(pytest.mark.xdist_group(path))
        if path.startswith("tests/browser/") or path in SLOW_FILES:
            item.add_marker(pytest.mark.slow)
        if path in postgres_files:
            item.add_marker(pytest.mark.postgres)
        if "redis" in item.keywords and not config.getoption("--redis"):
            item.add_marker(later)


@pytest.fixture(scope="session")
def postgres_url(request):
    """The URL of a throwaway PostgreSQL server for this session, or None (SQLite) without --postgres."""
    if not request.config.getoption("--postgres"):
        return None
    return request.getfixturevalue("postgres_server_url")


@pytest.fixture(scope="session")
def redis_url(request):
    """With --redis: a throwaway Redis server holds the queue of every app and consumer this session
    creates (through the environment, as an install would set it), even in immediate mode."""
    if not request.config.getoption("--redis"):
        yield None
        return
    from tests.redis_server import RedisServer, find_redis_server

    binary = find_redis_server()
    if binary is None:
        _missing("redis-server not found: the Redis pass was NOT run", "CLIENTBOOK_REQUIRE_REDIS")
    server = RedisServer(binary)
    url = server.start()
    saved = {key: os.environ.get(key) for key in ("CLIENTBOOK_HUEY_URL", "CLIENTBOOK_HUEY_IMMEDIATE_USE_MEMORY")}
    os.environ.update(CLIENTBOOK_HUEY_URL=url, CLIENTBOOK_HUEY_IMMEDIATE_USE_MEMORY="false")
    try:
        yield url
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        server.stop()


@pytest.fixture(autouse=True)
def fresh_queue(redis_url):
    """Each test starts with an empty Redis queue (schedules, results, locks)."""
    if redis_url:
        import redis

        with redis.Redis.from_url(redis_url) as connection:
            connection.flushdb()


TEST_CONFIG = {
    "TESTING": True,
    "HUEY_IMMEDIATE": True,
    "SECRET_KEY": "test-secret",
    "WTF_CSRF_ENABLED": False,
    "SERVER_NAME": "clientbook.test",
    "FAST_PASSWORD_HASHING": True,  # tests/test_passwords.py checks the real cost
}


@pytest.fixture(scope="session")
def empty_database(tmp_path_factory, postgres_url):
    """The models' schema, built once per session; every test gets its own copy of it (see
    `database_url`) instead of a create_all each."""
    if postgres_url:
        import psycopg

        server = postgres_url.rsplit("/", 1)[0]
        admin = psycopg.connect(server.replace("postgresql+psycopg://", "postgresql://") + "/postgres",
                                autocommit=True)
        admin.execute("CREATE DATABASE clientbook_template")
        template = server + "/clientbook_template"
    else:
        admin = None
        template = f"sqlite:///{tmp_path_factory.mktemp('template') / 'empty.sqlite3'}"
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": template})
    with app.app_context():
        db.create_all()
        db.engine.dispose()  # SQLite checkpoints its log into the file; a PostgreSQL template takes no connections
    yield template, admin
    if admin is not None:
        admin.close()


_database_numbers = itertools.count()


@pytest.fixture
def database_url(tmp_path, empty_database):
    """A fresh copy of the empty schema for this test alone: a file copy on SQLite; on PostgreSQL
    a database copied from the template (FILE_COPY: a fifth of the time of drop_all + create_all)."""
    template, admin = empty_database
    if admin is None:
        path = tmp_path / "test.sqlite3"
        shutil.copyfile(template.removeprefix("sqlite:///"), path)
        yield f"sqlite:///{path}"
        return
    name = f"test_{os.getpid()}_{next(_database_numbers)}"
    admin.execute(f'CREATE DATABASE "{name}" TEMPLATE clientbook_template STRATEGY FILE_COPY')
    yield template.rsplit("/", 1)[0] + f"/{name}"
    admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture
def app(tmp_path, database_url):
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, "MEDIA_DIR": str(tmp_path / "media")})
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
