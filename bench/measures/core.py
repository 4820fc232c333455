"""The design's first budgets: active search, card and Today against the floor, first page and
partial sizes, whole-book reminder generation and a 50 000-row POS import."""
from __future__ import annotations

import re
import time
from datetime import timedelta
from urllib.parse import quote

from bench.registry import BEFORE_REQUESTS, by_size, request, seconds


@request("floor", "floor (bare route, same server)")
def floor_paths(ctx):
    return ["/__bench/floor"]


def search_headers(ctx) -> dict:
    return {"HX-Request": "true", "HX-Target": "client-results",
            "HX-Current-URL": ctx.server_url + "/clients", "Referer": ctx.server_url + "/clients"}


@request("search", "active search (htmx partial)", headers=search_headers, bytes_key="partial",
         budget_ms=by_size({50_000: 25.0, 500_000: 50.0}), budget_vs_floor=by_size({50_000: 10.0, 500_000: None}),
         budget_bytes=8 * 1024)
def search_paths(ctx):
    info = ctx.info
    queries = info.name_prefixes + info.accented_prefixes + info.phone_tails + info.tag_queries
    return [f"/clients?q={quote(q)}" for q in queries]


@request("card", "client card (many purchases)",
         budget_ms=by_size({50_000: 30.0, 500_000: 40.0}), budget_vs_floor=by_size({50_000: 12.0, 500_000: None}))
def card_paths(ctx):
    return [f"/clients/{client_id}" for client_id in ctx.info.many_purchase_client_ids]


@request("today", "Today list (busy associate)", session="associate",
         budget_ms=by_size({50_000: 30.0, 500_000: 40.0}), budget_vs_floor=by_size({50_000: 12.0, 500_000: None}))
def today_paths(ctx):
    return ["/today"]


GENERATION_BUDGET = by_size({50_000: 3.0, 500_000: 10.0})


def _time_generation(ctx, days_ahead: int) -> dict:
    from clientbook.extensions import db
    from clientbook.reminders.generation import run_generation, shop_today

    with ctx.app().app_context():
        day = shop_today() + timedelta(days=days_ahead)
        started = time.perf_counter()
        created = run_generation(day)
        elapsed = time.perf_counter() - started
        db.session.remove()
    return {"seconds": round(elapsed, 3), "detail": f"{created} reminders"}


@seconds("generation_first", "reminder generation, whole book (first run)", budget_s=GENERATION_BUDGET,
         when=BEFORE_REQUESTS)
def generation_first(ctx):
    """The daily run for the whole book, in-process: the first creates the look-ahead window."""
    return _time_generation(ctx, 0)


@seconds("generation_next_day", "reminder generation, whole book (next day)", budget_s=GENERATION_BUDGET,
         when=BEFORE_REQUESTS)
def generation_next_day(ctx):
    return _time_generation(ctx, 1)


@seconds("import", "import Shopify CSV (POS export)", budget_s=30.0)
def import_shopify_csv(ctx):
    """The CLI import of a Shopify customer export, one in twenty rows already in the book."""
    from bench.dataset import write_shopify_csv

    rows = ctx.args.import_rows if ctx.args.import_rows is not None else min(50_000, ctx.clients)
    csv_path = ctx.run_dir / "shopify-customers.csv"
    write_shopify_csv(csv_path, rows, ctx.existing_emails(max(rows // 20, 1)))
    started = time.perf_counter()
    result = ctx.flask("import-clients", str(csv_path))
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"import-clients failed:\n{result.stdout}\n{result.stderr}")
    created = re.search(r"Created: (\d+)", result.stdout)
    merged = re.search(r"Merged: (\d+)", result.stdout)
    detail = f"{rows} rows: {created.group(1) if created else '?'} created, {merged.group(1) if merged else '?'} merged"
    return {"seconds": round(elapsed, 3), "detail": detail + ", incl. CLI start"}
