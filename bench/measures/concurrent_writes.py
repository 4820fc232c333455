"""Concurrent staff: 16 signed-in clients saving at once for 30 s (notes, purchases, tags and
hand-off messages on cards across the book), through the same gunicorn server as the pages.

Each client pauses 0.5-1.5 s between saves: 16 people each saving about once a second is
several times busier than a shop floor at its peak, while still measuring how long a save takes
rather than how long a queue of machine-gun requests grows. Every answer other than a success is
an error, "Busy, try again" included: the budget is that nobody sees it at this load. Server CPU
time per save (X-Bench-Cpu-Ms) is reported beside wall time, since a crowded machine inflates
the latter.
"""
from __future__ import annotations

import random
import re
import threading
import time
import uuid
from datetime import date
from urllib.parse import urlencode

from bench.measure import percentile
from bench.registry import measure

CLIENTS = 16
SECONDS = 30.0
TINY_BOOK_SECONDS = 3.0  # a book of a few hundred clients only checks that the measure runs
PAUSE_S = (0.5, 1.5)
HX = {"HX-Request": "true", "HX-Target": "client-card"}
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|"X-CSRFToken": "([^"]+)"')


def client_ids(ctx, count: int, textable: bool = False) -> list[int]:
    """Open cards across the book; `textable`: ones that may get a text (number and consent)."""
    import sqlalchemy as sa

    where = "merged_into_id IS NULL AND archived_at IS NULL"
    if textable:
        where += " AND phone_valid AND sms_opt_in AND phone IS NOT NULL"
    engine = sa.create_engine(ctx.database_uri)
    try:
        with engine.connect() as connection:
            ids = list(connection.scalars(sa.text(f"SELECT id FROM client WHERE {where} ORDER BY id LIMIT 5000")))
    finally:
        engine.dispose()
    return random.Random(8).sample(ids, min(count, len(ids)))


def write_form(kind: str, client_id: int, token: str, serial: int) -> tuple[str, dict]:
    """(path, form fields) of one save, as the card's forms post them."""
    fields: dict = {"csrf_token": token, "form_token": uuid.uuid4().hex}
    if kind == "note":
        fields["note-body"] = f"Called about the resizing ({serial})."
        return f"/clients/{client_id}/notes", fields
    if kind == "purchase":
        fields.update({"purchase-purchased_on": date.today().isoformat(),
                       "purchase-items-0-description": f"Silver bangle {serial}",
                       "purchase-items-0-amount": f"{40 + serial % 60}"})
        return f"/clients/{client_id}/purchases", fields
    if kind == "tags":
        fields["tags-tags"] = f"vip, bench{serial % 7}"
        return f"/clients/{client_id}/tags", fields
    fields.update({"channel": "handoff_sms", "body": f"Your order is ready ({serial}).", "token": uuid.uuid4().hex})
    return f"/clients/{client_id}/message", fields


KINDS = ("note", "note", "purchase", "tags", "message")


@measure("concurrent_writes", "16 clients, mixed writes, 30 s", budget="0 errors, p95 <= 250 ms",
         passes=lambda r: r["errors"] == 0 and r["p95_ms"] <= 250,
         summary=lambda r: f"{r['writes']} writes, {r['errors']} errors, p95 {r['p95_ms']:.0f} ms "
                           f"(server CPU p95 {r['cpu_p95_ms']} ms)")
def concurrent_writes(ctx):
    ids, textable = client_ids(ctx, 400), client_ids(ctx, 400, textable=True) or None
    seconds = SECONDS if ctx.clients >= 10_000 else TINY_BOOK_SECONDS
    browsers = []
    for _ in range(CLIENTS):
        browser = ctx.browser("owner")
        response, raw = browser.request("GET", f"/clients/{ids[0]}")
        found = CSRF.search(browser.text(response, raw))
        if not found:
            raise RuntimeError(f"no CSRF token on a card (HTTP {response.status})")
        browsers.append((browser, found.group(1) or found.group(2)))

    timings: list[float] = []
    by_kind: dict[str, list[float]] = {kind: [] for kind in KINDS}
    cpu: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(CLIENTS)
    deadline_box = {}

    def staff(number: int) -> None:
        browser, token = browsers[number]
        pick = random.Random(number)
        start.wait()
        deadline = deadline_box.setdefault("at", time.monotonic() + seconds)
        serial = 0
        while time.monotonic() < deadline:
            serial += 1
            kind = pick.choice(KINDS if textable else KINDS[:-1])
            path, fields = write_form(kind, pick.choice(textable if kind == "message" else ids), token, serial)
            began = time.perf_counter()
            server_ms = None
            try:
                response, _raw = browser.request("POST", path, HX, urlencode(fields))
                status = response.status
                server_ms = response.getheader("X-Bench-Cpu-Ms")
            except OSError as exc:
                status = f"{type(exc).__name__}"
            elapsed = (time.perf_counter() - began) * 1000
            with lock:
                timings.append(elapsed)
                by_kind[kind].append(elapsed)
                if server_ms:
                    cpu.append(float(server_ms))
                if not (isinstance(status, int) and status < 400):
                    errors.append(f"{kind} {path}: {status}")
            time.sleep(pick.uniform(*PAUSE_S))

    threads = [threading.Thread(target=staff, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    ordered = sorted(timings)
    if errors:
        ctx.log(f"concurrent writes: {len(errors)} errors, e.g. {errors[:3]}")
    cpu.sort()
    return {"writes": len(ordered), "errors": len(errors), "clients": CLIENTS, "seconds": seconds,
            "pause_s": list(PAUSE_S), "cpu_p95_ms": round(percentile(cpu, 0.95), 1) if cpu else None,
            "p95_ms_by_kind": {kind: round(percentile(sorted(values), 0.95), 1)
                               for kind, values in by_kind.items() if values},
            "p50_ms": round(percentile(ordered, 0.5), 1), "p95_ms": round(percentile(ordered, 0.95), 1),
            "max_ms": round(ordered[-1], 1) if ordered else 0.0, "error_examples": errors[:5]}
