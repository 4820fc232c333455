"""Real-browser tests: Debian's Chromium, driven by Playwright, against the app under gunicorn.

One browser and one server per session keep the suite fast. Every flow runs at tablet and
phone size (the `device` fixture is parametrized). Without Chromium the tests skip loudly;
with CLIENTBOOK_REQUIRE_BROWSER=1 (CI) that skip is a failure instead.
"""
from __future__ import annotations

import os
import re
import shutil
import sqlite3
import tempfile
from pathlib import Path

import pytest

from browser_kit import ROOT, Checks, LiveServer

OUTPUT_DIR = ROOT / "test-output"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]

DEVICES = {
    "tablet": {"viewport": {"width": 1024, "height": 768}, "has_touch": True},
    "phone": {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True},
}


@pytest.fixture(scope="session")
def migrated_database(browser):
    """A database brought up to date by the migrations (`flask db upgrade`), once per session:
    each server starts from a copy of it."""
    folder = Path(tempfile.mkdtemp(prefix="clientbook-browser-schema-"))
    LiveServer(folder).create_schema()
    database = folder / "clientbook.sqlite3"
    sqlite3.connect(database).execute("PRAGMA wal_checkpoint(TRUNCATE)").connection.close()  # all in the one file
    yield database
    shutil.rmtree(folder, ignore_errors=True)


def _start_server(database: Path, workers: int = 2) -> LiveServer:
    instance = Path(tempfile.mkdtemp(prefix="clientbook-browser-"))
    shutil.copyfile(database, instance / "clientbook.sqlite3")
    # The secret key too: gunicorn's workers would each make one if none were there yet, and a
    # session signed by one worker would then mean nothing to the other.
    shutil.copyfile(database.parent / "secret_key", instance / "secret_key")
    return LiveServer(instance, workers=workers).start()


@pytest.fixture(scope="session")
def live_server(migrated_database):
    """The shop, set up with an owner, a manager and two associates (see STAFF)."""
    server = _start_server(migrated_database)
    try:
        server.set_up_shop()
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.instance, ignore_errors=True)


@pytest.fixture
def blank_server(migrated_database):
    """A server whose database has no shop yet: the first-run experience."""
    server = _start_server(migrated_database, workers=1)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.instance, ignore_errors=True)


@pytest.fixture
def app_server(live_server):
    """The server `page` talks to; a test module may override this (e.g. with blank_server)."""
    return live_server


@pytest.fixture
def worker(live_server):
    """The Huey consumer beside the session's server, for flows that wait on background work."""
    live_server.start_worker()
    return live_server


@pytest.fixture(scope="session")
def session_cookies():
    """One sign-in per server and role for the whole session; contexts reuse the cookie."""
    cache: dict[tuple[str, str], list[dict]] = {}

    def cookies_for(server: LiveServer, role: str) -> list[dict]:
        if (server.url, role) not in cache:
            session = server.http_session(role)
            cache[server.url, role] = [{"name": c.name, "value": c.value, "url": server.url} for c in session.cookies]
        return cache[server.url, role]

    return cookies_for


# ---- the browser -----------------------------------------------------------------------------

_browser_skip_reason: list[str] = []


def _browser_unavailable(reason: str):
    message = f"BROWSER TESTS NOT RUN: {reason}"
    if os.environ.get("CLIENTBOOK_REQUIRE_BROWSER") == "1":
        pytest.fail(message + " (CLIENTBOOK_REQUIRE_BROWSER=1 makes this a failure)", pytrace=False)
    pytest.skip(message)


def pytest_runtest_logreport(report):
    """Noted from the reports, so the banner shows also when pytest-xdist ran the flows in a worker."""
    if report.skipped and not _browser_skip_reason and "BROWSER TESTS NOT RUN" in str(report.longrepr):
        _browser_skip_reason.append(str(report.longrepr[2]).removeprefix("Skipped: "))


@pytest.fixture(scope="session")
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        _browser_unavailable(f"Debian's Chromium is not installed at {CHROMIUM} (`make browser` as root installs it)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        _browser_unavailable(f"Playwright is not importable ({exc}); run `make setup`")
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    except Exception as exc:  # noqa: BLE001 - any launch failure means no browser here
        playwright.stop()
        _browser_unavailable(f"Chromium did not start: {exc}")
    yield chromium
    chromium.close()
    playwright.stop()


def pytest_terminal_summary(terminalreporter):
    if _browser_skip_reason:
        bar = "!" * 78
        terminalreporter.write_line(bar, red=True, bold=True)
        terminalreporter.write_line(_browser_skip_reason[0], red=True, bold=True)
        terminalreporter.write_line(bar, red=True, bold=True)


@pytest.fixture(params=list(DEVICES))
def device(request) -> str:
    return request.param


@pytest.fixture
def context(browser, app_server, device):
    ctx = browser.new_context(base_url=app_server.url, locale="en-GB", timezone_id="Europe/Paris",
                              **DEVICES[device])
    ctx.set_default_timeout(8000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    """A fresh tab. JavaScript errors and CSP violations on any page fail the test."""
    tab = context.new_page()
    problems: list[str] = []
    tab.on("pageerror", lambda error: problems.append(f"JavaScript error: {error}"))
    tab.on("console", lambda msg: problems.append(f"console: {msg.text}")
           if msg.type == "error" and "Content Security Policy" in msg.text else None)
    yield tab
    assert not problems, "The page broke its own rules:\n" + "\n".join(problems)


@pytest.fixture
def sign_in(context, app_server, session_cookies):
    """sign_in("associate"): this context is now signed in as that member of staff."""

    def as_role(role: str) -> None:
        context.clear_cookies()
        context.add_cookies(session_cookies(app_server, role))

    return as_role


# ---- checks shared by the flows ------------------------------------------------------------

@pytest.fixture
def check(page, device) -> Checks:
    return Checks(page, device)


# ---- evidence when a flow fails ------------------------------------------------------------

@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    tab = item.funcargs.get("page")
    if tab is None or tab.is_closed():
        return
    folder = OUTPUT_DIR / re.sub(r"[^\w.-]+", "-", item.name).strip("-")
    shutil.rmtree(folder, ignore_errors=True)  # only this run's evidence
    folder.mkdir(parents=True)
    try:
        tab.screenshot(path=str(folder / "screenshot.png"), full_page=True)
        (folder / "page.html").write_text(tab.content())
        (folder / "url.txt").write_text(tab.url + "\n")
    except Exception as exc:  # noqa: BLE001 - evidence is best effort; the failure itself stands
        (folder / "error.txt").write_text(f"could not save the page: {exc}\n")
    server = item.funcargs.get("app_server")
    if server is not None:
        (folder / "server.log").write_text(server.log_tail(lines=200))
    report.sections.append(("browser evidence", f"saved under {folder}"))
