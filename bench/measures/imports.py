"""Imports and bulk assignment: the longest staff write while a 50 000-row import runs, and moving
1 000 clients to another associate."""
from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

from bench.registry import ROOT, measure, seconds

STALL_BUDGET_S = 1.0


def _staff_writes(ctx, stop: threading.Event, waits: list[float], errors: list[str]) -> None:
    """An associate saving notes, one every 50 ms: each save is timed from asking for the lock to commit."""
    import sqlalchemy as sa

    from clientbook.clients.records import add_note
    from clientbook.extensions import db
    from clientbook.models import Client, User

    with ctx.app().app_context():
        author = db.session.scalar(sa.select(User).where(User.email == ctx.info.busiest_associate_email))
        client_ids = list(db.session.scalars(sa.select(Client.id).order_by(Client.id).limit(200)))
        author_id = author.id
        db.session.rollback()
        n = 0
        while not stop.is_set():
            client = db.session.get(Client, client_ids[n % len(client_ids)])
            db.session.rollback()
            started = time.perf_counter()
            try:
                add_note(client, db.session.get(User, author_id), f"Called back ({n})")
                db.session.commit()
            except Exception as exc:  # a save that fails is what this measures: count it, keep going
                db.session.rollback()
                errors.append(f"{type(exc).__name__}: {exc}"[:200])
            else:
                waits.append(time.perf_counter() - started)
            n += 1
            stop.wait(0.05)
        db.session.remove()


def _import_file(ctx, rows: int):
    """A Shopify export of new people (not those the core import measure already brought in)."""
    from bench.dataset import write_shopify_csv

    path = ctx.run_dir / "stall-customers.csv"
    write_shopify_csv(path, rows, ctx.existing_emails(max(rows // 20, 1)))
    path.write_text(path.read_text(encoding="utf-8").replace("shopper", "walkin"), encoding="utf-8")
    return path


def _peak_rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


@measure("write_stall_during_import", "longest staff save while a 50 000-row import runs",
         budget=f"<= {STALL_BUDGET_S:g} s, 0 errors", group="seconds",
         passes=lambda r: r["errors"] == 0 and r["seconds"] <= STALL_BUDGET_S,
         summary=lambda r: (f"{r['seconds']:.2f} s, {r['errors']} errors ({r['saves']} saves, p95 "
                            f"{r['p95_ms']:.0f} ms; import {r['import_seconds']:.1f} s, peak {r['import_rss_mb']:.0f} MB)"))
def write_stall_during_import(ctx):
    rows = ctx.args.import_rows if ctx.args.import_rows is not None else min(50_000, ctx.clients)
    path = _import_file(ctx, rows)
    stop, waits, errors = threading.Event(), [], []
    writer = threading.Thread(target=_staff_writes, args=(ctx, stop, waits, errors), daemon=True)
    writer.start()
    time.sleep(0.5)  # the writer is saving before the import starts
    started = time.perf_counter()
    process = subprocess.Popen([str(Path(sys.executable).parent / "flask"), "--app", "app",
                                "import-clients", str(path)], cwd=ROOT, env=ctx.env(),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0.0
    while process.poll() is None:
        peak = max(peak, _peak_rss_mb(process.pid))
        time.sleep(0.05)
    out, err = process.communicate()
    import_seconds = time.perf_counter() - started
    stop.set()
    writer.join(timeout=30)
    if process.returncode != 0:
        raise RuntimeError(f"import-clients failed:\n{out}\n{err}")
    ordered = sorted(waits)
    return {"seconds": round(max(waits, default=0.0), 3), "errors": len(errors), "saves": len(waits),
            "p95_ms": round(1000 * ordered[int(0.95 * (len(ordered) - 1))], 1) if ordered else 0.0,
            "import_seconds": round(import_seconds, 1), "import_rss_mb": round(peak, 1),
            "first_error": errors[0] if errors else None}


@seconds("reassign_1000", "reassign 1 000 clients in bulk", budget_s=1.0)
def reassign_1000(ctx):
    """A manager hands 1 000 of the busiest associate's clients to a colleague (the list's bulk assign)."""
    import sqlalchemy as sa

    from clientbook.clients.records import assign
    from clientbook.extensions import db
    from clientbook.models import Client, User

    with ctx.app().app_context():
        busiest = db.session.scalar(sa.select(User).where(User.email == ctx.info.busiest_associate_email))
        colleague = db.session.scalar(sa.select(User).where(User.email == ctx.info.associate_emails[-1]))
        ids = list(db.session.scalars(sa.select(Client.id).where(Client.assigned_to_id == busiest.id)
                                      .order_by(Client.id).limit(1000)))
        colleague_id = colleague.id
        db.session.rollback()
        started = time.perf_counter()
        moved = assign(ids, colleague_id)
        db.session.commit()
        elapsed = time.perf_counter() - started
        db.session.remove()
    return {"seconds": round(elapsed, 3), "detail": f"{moved} clients, their open reminders follow"}
