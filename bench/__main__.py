"""`python -m bench` (make bench): the design budgets, measured on a generated reference book.

Steps: build (or reuse) the cached book; copy it into a scratch instance and move its dates to
today; time a whole-book reminder generation in-process; serve the app under gunicorn on
127.0.0.1 and time requests from a second process; time a Shopify CSV import through the CLI;
print the table and, last, one JSON line with the same figures.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CACHE = Path(__file__).resolve().parent / ".cache"


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=int(os.environ.get("BENCH_CLIENTS", 50_000)),
                        help="book size (env BENCH_CLIENTS); purchases = 5x, important dates = 2x")
    parser.add_argument("--samples", type=int, default=int(os.environ.get("BENCH_SAMPLES", 300)),
                        help="timed requests per request type")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests per type first")
    parser.add_argument("--max-seconds", type=float, default=180.0, help="time bound for the timed requests")
    parser.add_argument("--import-rows", type=int, default=None,
                        help="rows in the Shopify CSV (default: 50 000, or the book size if smaller)")
    parser.add_argument("--cache-dir", type=Path, default=Path(os.environ.get("BENCH_CACHE", DEFAULT_CACHE)))
    return parser.parse_args(argv)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def prepare_run_instance(cache_dir: Path) -> Path:
    run_dir = cache_dir / "run"
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    return run_dir


def time_generation(app) -> dict:
    """The daily run for the whole book, in-process: the first (creates the window) and the next day's."""
    try:
        from clientbook.reminders.generation import run_generation, shop_today
    except ImportError:
        return {}
    from clientbook.extensions import db

    results = {}
    with app.app_context():
        today = shop_today()
        for name, day in (("generation_first", today), ("generation_next_day", today + timedelta(days=1))):
            started = time.perf_counter()
            created = run_generation(day)
            results[name] = {"seconds": round(time.perf_counter() - started, 3), "detail": f"{created} reminders"}
        db.session.remove()
        db.engine.dispose()
    return results


def write_shopify_csv(path: Path, rows: int, db_path: Path) -> None:
    """A Shopify customer export: mostly new people, one in twenty already in the book (by email)."""
    connection = sqlite3.connect(db_path)
    existing = [r[0] for r in connection.execute(
        "SELECT email FROM client WHERE email IS NOT NULL ORDER BY id LIMIT ?", (max(rows // 20, 1),))]
    connection.close()
    from bench.dataset import FIRST_NAMES, LAST_NAMES, TAGS

    headers = ["Customer ID", "First Name", "Last Name", "Email", "Accepts Email Marketing", "Default Address Company",
               "Default Address Address1", "Default Address Address2", "Default Address City",
               "Default Address Province Code", "Default Address Country Code", "Default Address Zip",
               "Default Address Phone", "Phone", "Accepts SMS Marketing", "Total Spent", "Total Orders", "Note",
               "Tax Exempt", "Tags"]
    with open(path, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(headers)
        for n in range(rows):
            first, last = FIRST_NAMES[n % len(FIRST_NAMES)], LAST_NAMES[(n * 7) % len(LAST_NAMES)]
            email = existing[n // 20] if n % 20 == 0 and n // 20 < len(existing) else f"shopper{n}@example.org"
            digits = f"{n:08d}"
            phone = f"+33 7 {digits[0:2]} {digits[2:4]} {digits[4:6]} {digits[6:8]}"
            writer.writerow([f"'{8_000_000 + n}", first, last, email, "yes" if n % 3 else "no", "",
                             f"{n % 120 + 1} avenue Foch", "", "Paris", "", "FR", "75016", "",
                             phone if n % 10 else "", "yes" if n % 4 == 0 else "no", f"{(n % 50) * 10}.00",
                             str(n % 7), "", "no", ", ".join(TAGS[n % len(TAGS):n % len(TAGS) + (n % 3)])])


def time_import(run_dir: Path, csv_path: Path, rows: int) -> dict:
    env = dict(os.environ, CLIENTBOOK_INSTANCE_PATH=str(run_dir), PYTHONPATH=str(ROOT))
    env.pop("CLIENTBOOK_HUEY_WORKER", None)
    started = time.perf_counter()
    result = subprocess.run([str(Path(sys.executable).parent / "flask"), "--app", "app", "import-clients",
                             str(csv_path)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"import-clients failed:\n{result.stdout}\n{result.stderr}")
    created = re.search(r"Created: (\d+)", result.stdout)
    merged = re.search(r"Merged: (\d+)", result.stdout)
    detail = f"{rows} rows: {created.group(1) if created else '?'} created, {merged.group(1) if merged else '?'} merged"
    return {"import": {"seconds": round(seconds, 3), "detail": detail + ", incl. CLI start"}}


def measurement_spec(base: str, info, args) -> dict:
    queries = info.name_prefixes + info.accented_prefixes + info.phone_tails + info.tag_queries
    search_headers = {"HX-Request": "true", "HX-Target": "client-results",
                      "HX-Current-URL": base + "/clients", "Referer": base + "/clients"}
    return {
        "base": base, "samples": args.samples, "warmup": args.warmup, "max_seconds": args.max_seconds,
        "sessions": {"owner": [info.owner_email, info.password],
                     "associate": [info.busiest_associate_email, info.password]},
        "requests": [
            {"name": "floor", "session": "owner", "paths": ["/__bench/floor"]},
            {"name": "search", "session": "owner", "headers": search_headers,
             "paths": [f"/clients?q={quote(q)}" for q in queries]},
            {"name": "card", "session": "owner", "paths": [f"/clients/{cid}" for cid in info.many_purchase_client_ids]},
            {"name": "today", "session": "associate", "paths": ["/today"]},
        ],
        "bytes": {"session": "associate", "first_page": "/"},
    }


def main(argv=None) -> int:
    args = parse_args(argv)
    cache_dir = args.cache_dir.resolve()
    run_dir = prepare_run_instance(cache_dir)
    # Before clientbook is imported: the app, its queue file and every subprocess use the scratch instance.
    os.environ["CLIENTBOOK_INSTANCE_PATH"] = str(run_dir)
    os.environ.pop("CLIENTBOOK_HUEY_WORKER", None)
    sys.path.insert(0, str(ROOT))
    from bench import dataset, report
    from bench.server import BenchServer
    from clientbook import create_app

    def make_app(uri: str):
        return create_app({"SQLALCHEMY_DATABASE_URI": uri, "HUEY_IMMEDIATE": True})

    size = dataset.BookSize.for_clients(args.clients)
    book_path, info = dataset.ensure_book(cache_dir, size, make_app, log=log)
    work_db = run_dir / "clientbook.sqlite3"
    shutil.copyfile(book_path, work_db)
    dataset.shift_dates(work_db, (date.today() - date.fromisoformat(info.anchor)).days)

    log("Timing the whole-book reminder generation...")
    seconds = time_generation(create_app())

    log("Serving the book under gunicorn (2 workers) and timing requests from a second process...")
    with BenchServer(run_dir) as server, tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as spec_file:
        json.dump(measurement_spec(server.url, info, args), spec_file)
        spec_file.close()
        try:
            result = subprocess.run([sys.executable, "-m", "bench.measure", spec_file.name], cwd=ROOT,
                                    capture_output=True, text=True, timeout=args.max_seconds + 600)
        finally:
            os.unlink(spec_file.name)
        if result.returncode != 0:
            raise SystemExit(f"measuring failed:\n{result.stderr}\nserver log:\n{server.log_tail()}")
        measured = json.loads(result.stdout.strip().splitlines()[-1])

    rows = args.import_rows if args.import_rows is not None else min(50_000, args.clients)
    log(f"Timing the import of a {rows}-row Shopify CSV through the CLI...")
    csv_path = run_dir / "shopify-customers.csv"
    write_shopify_csv(csv_path, rows, work_db)
    seconds.update(time_import(run_dir, csv_path, rows))
    report.SECONDS_BUDGETS["import"] = (f"import {rows}-row Shopify CSV", 30.0)

    book = {**info.size, "build_seconds": info.build_seconds, "rows": info.rows}
    outcome = report.evaluate(measured, seconds, book)
    print(report.table(outcome))
    print(report.json_line(outcome), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
