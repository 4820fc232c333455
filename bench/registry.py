"""What `make bench` measures: every figure is a registered measure, so a new one is one module.

A module in bench/measures/ is imported automatically; it registers its measures with the
decorators below and needs no other file touched:

    from bench.registry import prepare, request, seconds

    @prepare                                   # optional: add the rows the measure needs
    def add_jobs(ctx): ...                     # runs on the working copy, before serving

    @request("job_board", "job board (20 000 jobs)", session="associate",
             budget_ms=30, budget_vs_floor=12)
    def job_board_paths(ctx):                  # timed through gunicorn like search/card/today
        return ["/jobs"]

    @seconds("reassign_1000", "reassign 1 000 clients in bulk", budget_s=1.0)
    def reassign(ctx):                         # runs once the requests are timed, server still up
        ...
        return {"seconds": elapsed, "detail": "1000 clients"}

    @measure("concurrent_writes", "16 clients, mixed writes, 30 s", budget="0 errors, p95 <= 250 ms",
             passes=lambda r: r["errors"] == 0 and r["p95_ms"] <= 250,
             summary=lambda r: f"{r['errors']} errors, p95 {r['p95_ms']:.0f} ms")
    def concurrent_writes(ctx): ...            # any figures; JSON key at the top level

Budgets may depend on the book size: `by_size({50_000: 25, 500_000: 50})` is the budget of the
smallest listed size that holds the book (the largest one beyond it).
"""
from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
BEFORE_REQUESTS = "before_requests"  # e.g. generation: Today needs its reminders
AFTER_REQUESTS = "after_requests"  # e.g. the import, which changes the book


class by_size:  # noqa: N801 - reads as a value in a decorator call
    """A budget that depends on the number of clients in the book."""

    def __init__(self, budgets: dict[int, float | None]):
        self.budgets = dict(sorted(budgets.items()))

    def __call__(self, clients: int) -> float | None:
        for size, budget in self.budgets.items():
            if clients <= size:
                return budget
        return list(self.budgets.values())[-1]


def budget_for(budget, clients: int) -> float | None:
    return budget(clients) if callable(budget) else budget


@dataclass
class RequestMeasure:
    name: str
    label: str
    paths: Callable[["Context"], list[str]]
    session: str | None = "owner"  # "owner", "manager", "associate" (the busiest), or None
    budget_ms: Any = None
    budget_vs_floor: Any = None
    budget_bytes: Any = None  # largest response body (gzip), e.g. an htmx partial
    headers: Callable[["Context"], dict] | None = None
    bytes_key: str | None = None  # JSON key under "bytes" for the largest body (default NAME)


@dataclass
class Measure:
    name: str
    label: str
    run: Callable[["Context"], dict]
    budget: Callable[[int], str]  # the budget as the table shows it, for a book of N clients
    passes: Callable[[dict, int], bool] | None  # (figures, clients) -> within budget
    summary: Callable[[dict], str]
    group: str | None  # JSON key holding it (None: top level)
    when: str = AFTER_REQUESTS
    budget_json: Callable[[int], dict] = lambda _clients: {}


@dataclass
class Registry:
    prepares: list[Callable[["Context"], None]] = field(default_factory=list)
    requests: list[RequestMeasure] = field(default_factory=list)
    measures: list[Measure] = field(default_factory=list)

    def add_request(self, item: RequestMeasure) -> None:
        self.requests = [r for r in self.requests if r.name != item.name] + [item]

    def add_measure(self, item: Measure) -> None:
        self.measures = [m for m in self.measures if (m.group, m.name) != (item.group, item.name)] + [item]


REGISTRY = Registry()


def prepare(fn):
    REGISTRY.prepares.append(fn)
    return fn


def request(name: str, label: str, *, session: str | None = "owner", budget_ms=None, budget_vs_floor=None,
            budget_bytes=None, headers: Callable[["Context"], dict] | None = None, bytes_key: str | None = None):
    """GET requests timed through gunicorn from a second process; `paths(ctx)` lists the URLs."""
    def register(paths):
        REGISTRY.add_request(RequestMeasure(name, label, paths, session, budget_ms, budget_vs_floor,
                                            budget_bytes, headers, bytes_key))
        return paths
    return register


def measure(name: str, label: str, *, budget: str, passes: Callable[[dict], bool] | None,
            summary: Callable[[dict], str], group: str | None = None, when: str = AFTER_REQUESTS):
    """Any figures a function returns, judged by `passes`; stored under `group` (or the top level)."""
    def register(run):
        REGISTRY.add_measure(Measure(name, label, run, lambda _clients: budget,
                                     (lambda figures, _clients: passes(figures)) if passes else None,
                                     summary, group, when))
        return run
    return register


def seconds(name: str, label: str, *, budget_s, when: str = AFTER_REQUESTS):
    """A job timed once; the function returns {"seconds": ..., "detail": "..."} (JSON: seconds.NAME)."""
    def summary(figures: dict) -> str:
        return f"{figures['seconds']:.2f} s" + (f" ({figures['detail']})" if figures.get("detail") else "")

    def register(run):
        REGISTRY.add_measure(Measure(
            name, label, run, budget=lambda clients: f"<= {budget_for(budget_s, clients):g} s",
            passes=lambda figures, clients: figures["seconds"] <= budget_for(budget_s, clients),
            summary=summary, group="seconds", when=when,
            budget_json=lambda clients: {"budget_s": budget_for(budget_s, clients)}))
        return run
    return register


@dataclass
class Context:
    """What a measure gets: the run's arguments, the book, the working instance and the server."""

    args: Any
    info: Any  # bench.dataset.BookInfo
    run_dir: Path
    database_uri: str
    log: Callable[[str], None]
    server_url: str | None = None
    _app: Any = None

    @property
    def clients(self) -> int:
        return self.info.size["clients"]

    def app(self):
        """A Flask app on the working book (created once), for in-process measures and preparations."""
        if self._app is None:
            from clientbook import create_app

            self._app = create_app({"SQLALCHEMY_DATABASE_URI": self.database_uri, "HUEY_IMMEDIATE": True})
        return self._app

    def env(self) -> dict:
        """Environment for a subprocess (flask CLI, gunicorn) on the working instance and book."""
        env = dict(os.environ, CLIENTBOOK_INSTANCE_PATH=str(self.run_dir), PYTHONPATH=str(ROOT),
                   CLIENTBOOK_SQLALCHEMY_DATABASE_URI=self.database_uri)
        env.pop("CLIENTBOOK_HUEY_WORKER", None)
        return env

    def flask(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
        return subprocess.run([str(Path(sys.executable).parent / "flask"), "--app", "app", *args], cwd=ROOT,
                              env=self.env(), capture_output=True, text=True, timeout=timeout)

    def existing_emails(self, limit: int) -> list[str]:
        """The first `limit` client emails in the book (an import merges these)."""
        import sqlalchemy as sa

        engine = sa.create_engine(self.database_uri)
        try:
            with engine.connect() as connection:
                return list(connection.scalars(sa.text(
                    "SELECT email FROM client WHERE email IS NOT NULL ORDER BY id LIMIT :limit"), {"limit": limit}))
        finally:
            engine.dispose()

    def credentials(self, session: str) -> tuple[str, str]:
        emails = {"owner": self.info.owner_email, "manager": self.info.manager_email,
                  "associate": self.info.busiest_associate_email}
        return emails.get(session, session), self.info.password

    def browser(self, session: str | None = "owner"):
        """A signed-in HTTP client for the running server (cookies, CSRF-ready)."""
        from bench.measure import Browserish

        client = Browserish(self.server_url)
        if session:
            client.log_in(*self.credentials(session))
        return client

    def dispose(self) -> None:
        if self._app is not None:
            from clientbook.extensions import db

            with self._app.app_context():
                db.session.remove()
                db.engine.dispose()


def load_measures() -> Registry:
    """Import every module in bench/measures/ (each registers itself), core first."""
    import importlib
    import pkgutil

    import bench.measures as package

    names = sorted(info.name for info in pkgutil.iter_modules(package.__path__))
    for name in sorted(names, key=lambda n: (n != "core", n)):
        importlib.import_module(f"bench.measures.{name}")
    return REGISTRY
