"""The benchmark's code runs end to end on a tiny book, so `make bench` cannot rot.

Only the shape of its report is checked: timings are the benchmark's business, not a test's.
"""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_bench_runs_on_a_tiny_book_and_reports_every_figure(tmp_path, request):
    # In the PostgreSQL pass (pytest --postgres), the benchmark's own --postgres mode.
    on_postgres = ["--postgres"] if request.config.getoption("--postgres") else []
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--clients", "200", "--samples", "5", "--warmup", "1",
         "--max-seconds", "60", "--import-rows", "60", "--cache-dir", str(tmp_path / "cache"), *on_postgres],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.strip().splitlines()
    report = json.loads(lines[-1])

    assert any(line.startswith("floor") for line in lines[:-1]), "the table is printed before the JSON"
    assert report["verdict"] in ("PASS", "OVER")
    assert report["book"]["clients"] == 200 and report["book"]["rows"]["purchase"] == 1000
    assert report["book"]["database"] == ("postgresql" if on_postgres else "sqlite")
    requests = report["requests"]
    assert set(requests) >= {"floor", "search", "card", "today"}  # other measures register themselves
    for name, figures in requests.items():
        assert figures["samples"] == 5
        assert 0 < figures["p50_ms"] <= figures["p95_ms"] <= figures["p99_ms"]
        if name != "floor":
            assert figures["verdict"] in ("PASS", "OVER") and figures["vs_floor_p95"] > 0
    assert set(report["seconds"]) >= {"generation_first", "generation_next_day", "import"}
    assert all(v["seconds"] > 0 and v["verdict"] in ("PASS", "OVER") for v in report["seconds"].values())
    assert "60 rows: " in report["seconds"]["import"]["detail"]
    assert report["bytes"]["first_page"]["bytes"] > 0 and report["bytes"]["partial"]["bytes"] > 0
    assert any(path.endswith("htmx.min.js") for path in report["bytes"]["first_page_files"])
    writes = report["concurrent_writes"]
    assert writes["writes"] > 0 and writes["verdict"] in ("PASS", "OVER"), writes

    # The book is kept for the next run, keyed by size and schema.
    assert len(list((tmp_path / "cache").glob("book-200-*.sqlite3"))) == 1
    assert len(list((tmp_path / "cache").glob("book-200-*.pgdata"))) == (1 if on_postgres else 0)
