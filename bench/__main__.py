"""`python -m bench` (make bench): the design budgets, measured on a generated reference book.

Steps: build (or reuse) the cached book; copy it into a scratch instance and move its dates to
today; run the preparations and the in-process measures that come first (whole-book reminder
generation); serve the app under gunicorn on 127.0.0.1 and time requests from a second process;
run the remaining measures (the CLI import...); print the table and, last, one JSON line with
the same figures. What is measured is registered in bench/measures/ (see bench/registry.py).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

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
    parser.add_argument("--postgres", action="store_true",
                        help="run on a throwaway PostgreSQL server (the book is loaded once and cached)")
    parser.add_argument("--only", default="",
                        help="comma-separated measure names to run (the floor is always timed)")
    parser.add_argument("--cache-dir", type=Path, default=Path(os.environ.get("BENCH_CACHE", DEFAULT_CACHE)))
    return parser.parse_args(argv)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def selected(name: str, args) -> bool:
    wanted = {n.strip() for n in args.only.split(",") if n.strip()}
    return not wanted or name in wanted or name == "floor"


def run_measures(ctx, registry, when: str, args) -> dict:
    results: dict[tuple[str | None, str], dict] = {}
    for item in registry.measures:
        if item.when == when and selected(item.name, args):
            ctx.log(f"Measuring {item.label}...")
            try:
                results[(item.group, item.name)] = item.run(ctx)
            except Exception as exc:  # one broken measure must not cost the others' figures
                ctx.log(f"{item.label} failed: {type(exc).__name__}: {str(exc)[:2000]}")
                results[(item.group, item.name)] = {"error": f"{type(exc).__name__}: {str(exc)[:300]}"}
    return results


def measurement_spec(ctx, registry, args) -> dict:
    requests = [item for item in registry.requests if selected(item.name, args)]
    sessions = {item.session for item in requests if item.session} | {"associate"}
    return {
        "base": ctx.server_url, "samples": args.samples, "warmup": args.warmup, "max_seconds": args.max_seconds,
        "sessions": {name: list(ctx.credentials(name)) for name in sorted(sessions)},
        "requests": [{"name": item.name, "session": item.session, "paths": item.paths(ctx),
                      "headers": item.headers(ctx) if item.headers else None} for item in requests],
        "bytes": {"session": "associate", "first_page": "/"},
    }


def main(argv=None) -> int:
    args = parse_args(argv)
    cache_dir = args.cache_dir.resolve()
    run_dir = cache_dir / "run"
    # Before clientbook is imported: the app, its queue file and every subprocess use the scratch instance.
    os.environ["CLIENTBOOK_INSTANCE_PATH"] = str(run_dir)
    os.environ.pop("CLIENTBOOK_HUEY_WORKER", None)
    sys.path.insert(0, str(ROOT))
    from bench import dataset, report
    from bench.registry import AFTER_REQUESTS, BEFORE_REQUESTS, Context, load_measures
    from bench.server import BenchServer

    registry = load_measures()
    size = dataset.BookSize.for_clients(args.clients)
    with dataset.working_book(cache_dir, run_dir, size, log=log, postgres=args.postgres) as (database_uri, info):
        ctx = Context(args=args, info=info, run_dir=run_dir, database_uri=database_uri, log=log)
        try:
            for step in registry.prepares:
                log(f"Preparing: {step.__doc__.strip().splitlines()[0] if step.__doc__ else step.__name__}...")
                step(ctx)
            figures = run_measures(ctx, registry, BEFORE_REQUESTS, args)

            log("Serving the book under gunicorn (2 workers) and timing requests from a second process...")
            with BenchServer(run_dir, env=ctx.env()) as server:
                ctx.server_url = server.url
                with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as spec_file:
                    json.dump(measurement_spec(ctx, registry, args), spec_file)
                try:
                    result = subprocess.run([sys.executable, "-m", "bench.measure", spec_file.name], cwd=ROOT,
                                            capture_output=True, text=True, timeout=args.max_seconds + 600)
                finally:
                    os.unlink(spec_file.name)
                if result.returncode != 0:
                    raise SystemExit(f"measuring failed:\n{result.stderr}\nserver log:\n{server.log_tail()}")
                measured = json.loads(result.stdout.strip().splitlines()[-1])
                figures.update(run_measures(ctx, registry, AFTER_REQUESTS, args))
        finally:
            ctx.dispose()

    book = {**info.size, "database": dataset.dialect_of(database_uri), "build_seconds": info.build_seconds,
            "rows": info.rows}
    outcome = report.evaluate(registry, measured, figures, book)
    print(report.table(registry, outcome))
    print(report.json_line(outcome), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
