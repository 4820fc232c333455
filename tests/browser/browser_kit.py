"""What the browser flows share: the live server, sign-in over HTTP, and the page checks."""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
AXE_SCRIPT = ROOT / "node_modules" / "axe-core" / "axe.min.js"

PASSWORD = "correct horse battery"
SHOP_NAME = "Maison Perle"
STAFF = {
    "owner": ("Olivia Owner", "olivia@maison-perle.com", "owner"),
    "manager": ("Max Manager", "max@maison-perle.com", "manager"),
    "associate": ("Ada Associate", "ada@maison-perle.com", "associate"),
    "associate2": ("Bea Associate", "bea@maison-perle.com", "associate"),
}

_CSRF_INPUT = re.compile(r'<input[^>]*name="csrf_token"[^>]*>')
_VALUE = re.compile(r'value="([^"]*)"')


def csrf_token_in(html: str) -> str:
    match = _CSRF_INPUT.search(html)
    assert match, "no csrf_token field in the page"
    return _VALUE.search(match.group(0)).group(1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---- the app as a real server process -----------------------------------------------------

class LiveServer:
    """gunicorn serving app:app on a free loopback port, over its own instance folder."""

    def __init__(self, instance: Path, workers: int = 2):
        self.instance = instance
        self.workers = workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = dict(os.environ, CLIENTBOOK_INSTANCE_PATH=str(instance), PYTHONPATH=str(ROOT),
                        # Failed-login tests run many times against one server.
                        CLIENTBOOK_LOGIN_RATE_LIMIT="1000")
        self.env.pop("CLIENTBOOK_HUEY_WORKER", None)
        self._web: subprocess.Popen | None = None
        self._worker: subprocess.Popen | None = None

    def create_schema(self) -> None:
        if list((ROOT / "migrations" / "versions").glob("*.py")):
            self.flask("db", "upgrade")
        else:
            self.python("from clientbook import create_app\nfrom clientbook.extensions import db\n"
                        "with create_app().app_context():\n    db.create_all()\n")

    def start(self) -> "LiveServer":
        with open(self.instance / "gunicorn.log", "ab") as log:
            self._web = subprocess.Popen(
                [str(BIN / "gunicorn"), "-b", f"127.0.0.1:{self.port}", "-w", str(self.workers),
                 "--graceful-timeout", "2", "--no-control-socket", "app:app"],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self._web.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.log_tail()}")
            try:
                requests.get(self.url + "/login", timeout=10, allow_redirects=False)
                return self
            except requests.RequestException:
                time.sleep(0.1)
        self.stop()  # never leave a half-started server behind
        raise RuntimeError(f"gunicorn did not answer within 60 s:\n{self.log_tail()}")

    def start_worker(self) -> None:
        """The Huey consumer, for flows that wait on background work (import, reminders)."""
        if self._worker is not None and self._worker.poll() is None:
            return
        with open(self.instance / "huey.log", "ab") as log:
            self._worker = subprocess.Popen(
                [str(BIN / "huey_consumer"), "clientbook.tasks.huey", "-w", "2", "-k", "thread",
                 "-d", "0.1", "-m", "0.5", "--flush-locks"],
                cwd=ROOT, env=dict(self.env, CLIENTBOOK_HUEY_WORKER="1"), stdout=log, stderr=subprocess.STDOUT)

    def stop(self) -> None:
        for process in (self._worker, self._web):
            if process is not None and process.poll() is None:
                process.terminate()
        for process in (self._worker, self._web):
            if process is not None:
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()

    def log_tail(self, name: str = "gunicorn.log", lines: int = 40) -> str:
        path = self.instance / name
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def flask(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """`flask --app app ...` in this server's instance (seed-demo, reminders run, imports)."""
        result = subprocess.run([str(BIN / "flask"), "--app", "app", *args], cwd=ROOT, env=self.env,
                                capture_output=True, text=True, timeout=120)
        if check and result.returncode != 0:
            raise AssertionError(f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def python(self, code: str) -> str:
        result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=self.env,
                                capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise AssertionError(f"script failed:\n{code}\n{result.stderr}")
        return result.stdout

    # -- set-up and sessions over plain HTTP, through the product's own forms --

    def http_session(self, role: str) -> requests.Session:
        name, email, _ = STAFF[role]
        session = requests.Session()
        token = csrf_token_in(session.get(self.url + "/login").text)
        response = session.post(self.url + "/login", allow_redirects=False,
                                data={"csrf_token": token, "email": email, "password": PASSWORD})
        assert response.status_code in (302, 303), f"could not sign in as {role}: {response.status_code}"
        return session

    def set_up_shop(self) -> None:
        session = requests.Session()
        token = csrf_token_in(session.get(self.url + "/setup").text)
        name, email, _ = STAFF["owner"]
        response = session.post(self.url + "/setup", allow_redirects=False, data={
            "csrf_token": token, "shop_name": SHOP_NAME, "country": "FR", "timezone": "Europe/Paris",
            "currency": "EUR", "owner_name": name, "email": email, "password": PASSWORD})
        assert response.status_code in (302, 303), response.text[:500]
        for role in ("manager", "associate", "associate2"):
            name, email, role_value = STAFF[role]
            token = csrf_token_in(session.get(self.url + "/staff").text)
            response = session.post(self.url + "/staff", allow_redirects=False, data={
                "csrf_token": token, "name": name, "email": email, "role": role_value, "password": PASSWORD})
            assert response.status_code in (302, 303), response.text[:500]


def add_client(page, first: str, last: str, phone: str = "", email: str = "", consent: str = "") -> None:
    """Through the New client form; ends on the new card with htmx ready. `consent`: how they agreed."""
    from playwright.sync_api import expect

    page.goto("/clients/new")
    page.get_by_label("First name", exact=True).fill(first)
    page.get_by_label("Last name", exact=True).fill(last)
    page.get_by_label("Phone", exact=True).fill(phone)
    page.get_by_label("Email", exact=True).fill(email)
    if consent:
        page.get_by_label("Agrees to receive emails").check()
        page.get_by_label("Agrees to receive text messages").check()
        page.get_by_label("How they agreed").fill(consent)
    page.get_by_role("button", name="Save client").click()
    heading = page.get_by_role("heading", level=1, name=f"{first} {last}")
    anyway = page.get_by_role("button", name="Save as a new client anyway")
    expect(heading.or_(anyway)).to_be_visible()
    if anyway.is_visible():  # flows reuse phone numbers: a likely duplicate is asked about first
        anyway.click()
    expect(heading).to_be_visible()
    page.wait_for_load_state()  # htmx is loaded (deferred) before the card's links are used


# The app opens the hand-off link by itself (messaging-handoff.js). A test must not follow sms:/mailto:
# (headless Chromium has no app for them and then ignores later clicks), so before the app's own
# listeners run, auto-open links are defused and marked, which lets the test see that they were there.
DEFUSE_AUTO_OPEN = """
(() => {
  const defuse = (root) => (root || document).querySelectorAll('a[data-handoff-auto]').forEach((a) => {
    a.removeAttribute('data-handoff-auto');
    a.setAttribute('data-test-auto-open', '1');
  });
  window.addEventListener('DOMContentLoaded', () => defuse(document), true);
  window.addEventListener('htmx:afterSettle', (event) => defuse(event.target), true);
})();
"""


SERIOUS = ("serious", "critical")

TOUCH_TARGET = 44
PRIMARY_ACTIONS = ".btn-primary, .btn, main button[type=submit]"


class Checks:
    def __init__(self, page, device):
        self.page = page
        self.device = device

    def accessibility(self) -> None:
        """axe-core on the current page: no serious or critical violation; primary actions >= 44x44."""
        page = self.page
        self.settled()
        origin = re.match(r"https?://[^/]+", page.url).group(0)
        # Served from the page's own origin so the app's CSP (script-src 'self') stays on.
        axe_url = origin + "/__test-axe.min.js"
        page.route(axe_url, lambda route: route.fulfill(path=str(AXE_SCRIPT), content_type="application/javascript"))
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            page.add_script_tag(url=axe_url)
        result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        serious = [v for v in result["violations"] if v.get("impact") in SERIOUS]
        assert not serious, f"axe found serious/critical violations on {page.url} ({self.device}):\n" + "\n".join(
            f"- [{v['impact']}] {v['id']}: {v['help']} -> "
            + "; ".join(", ".join(node["target"]) for node in v["nodes"][:5])
            for v in serious)
        self.touch_targets()
        self.fits_width()

    def settled(self) -> None:
        """No htmx request or swap in flight and no transition running: judge the page at rest."""
        self.page.wait_for_function(
            "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')")
        self.page.evaluate("""() => Promise.race([
            Promise.all(document.getAnimations()
                .filter(a => a.effect && a.effect.getTiming().iterations !== Infinity)
                .map(a => a.finished.catch(() => null))),
            new Promise(resolve => setTimeout(resolve, 2000))])""")

    def touch_targets(self) -> None:
        too_small = self.page.evaluate(
            """(selector) => Array.from(document.querySelectorAll(selector))
                .filter(el => el.offsetParent !== null || getComputedStyle(el).position === 'fixed')
                .map(el => { const r = el.getBoundingClientRect();
                             return {text: (el.innerText || el.value || el.getAttribute('aria-label') || '').trim(),
                                     cls: el.className, w: r.width, h: r.height}; })
                .filter(b => b.w > 0 && (b.w < %d || b.h < %d))""" % (TOUCH_TARGET - 0.5, TOUCH_TARGET - 0.5),
            PRIMARY_ACTIONS)
        assert not too_small, f"touch targets under {TOUCH_TARGET}px on {self.page.url} ({self.device}): {too_small}"

    def fits_width(self) -> None:
        """Nothing makes the page scroll sideways at this size (WCAG 1.4.10 reflow)."""
        overflow = self.page.evaluate(
            """() => { const width = document.documentElement.clientWidth;
                       if (document.documentElement.scrollWidth <= width) return null;
                       const wide = Array.from(document.querySelectorAll('body *'))
                         .filter(el => el.getBoundingClientRect().right > width + 1)
                         .filter(el => !Array.from(el.children).some(c => c.getBoundingClientRect().right > width + 1));
                       return {scrollWidth: document.documentElement.scrollWidth, width,
                               culprits: wide.slice(0, 5).map(el => el.tagName.toLowerCase() + '.' + el.className
                                                                    + ' "' + (el.innerText || '').slice(0, 40) + '"')}; }""")
        assert overflow is None, f"{self.page.url} scrolls sideways at {self.device} size: {overflow}"

    def full_page(self) -> None:
        """A whole page (with its chrome), never a bare htmx fragment."""
        page = self.page
        assert page.evaluate("() => !!document.querySelector('html > head > title') && "
                             "!!document.querySelector('body > main#main')"), f"bare fragment at {page.url}"


