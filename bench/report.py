"""The benchmark's verdict: a table against the budgets, then one JSON line with the same figures.

Every row comes from a registered measure (bench/registry.py); budgets may depend on the book size.
"""
from __future__ import annotations

import json

from bench.registry import budget_for

FIRST_PAGE_BUDGET_BYTES = 60 * 1024
WIDE = 43  # the figure column of rows that are not request timings


def verdict(ok: bool | None) -> str:
    return "-" if ok is None else ("PASS" if ok else "OVER")


def evaluate(registry, measured: dict, figures: dict, book: dict) -> dict:
    """Figures and verdicts, shaped like the final JSON line."""
    clients = book["clients"]
    requests = measured["requests"]
    floor_p95 = requests["floor"]["p95_ms"]
    result = {"book": book, "requests": {}, "seconds": {}, "bytes": {}}
    for item in registry.requests:
        if item.name not in requests:
            continue
        timing = requests[item.name]
        if item.name == "floor":
            result["requests"]["floor"] = {**timing, "vs_floor_p95": 1.0, "verdict": "-"}
            continue
        budget_ms, budget_ratio = budget_for(item.budget_ms, clients), budget_for(item.budget_vs_floor, clients)
        ratio = round(timing["p95_ms"] / floor_p95, 2) if floor_p95 else None
        checks = []
        if budget_ms is not None:
            checks.append(timing["p95_ms"] <= budget_ms)
        if budget_ratio is not None:
            checks.append(ratio is not None and ratio <= budget_ratio)
        result["requests"][item.name] = {**timing, "vs_floor_p95": ratio, "budget_p95_ms": budget_ms,
                                         "budget_vs_floor": budget_ratio, "verdict": verdict(all(checks) if checks else None)}
        budget_bytes = budget_for(item.budget_bytes, clients)
        if budget_bytes is not None:
            result["bytes"][item.bytes_key or item.name] = {
                "bytes": timing["max_bytes"], "budget_bytes": budget_bytes,
                "verdict": verdict(timing["max_bytes"] <= budget_bytes)}
    first_page = measured["bytes"]["first_page_bytes"]
    result["bytes"]["first_page"] = {"bytes": first_page, "budget_bytes": FIRST_PAGE_BUDGET_BYTES,
                                     "verdict": verdict(first_page <= FIRST_PAGE_BUDGET_BYTES)}
    result["bytes"]["first_page_files"] = measured["bytes"]["first_page_files"]
    for item in registry.measures:
        if (item.group, item.name) not in figures:
            continue
        values = figures[(item.group, item.name)]
        failed = "error" in values
        row = {**values, **item.budget_json(clients),
               "verdict": "ERROR" if failed else verdict(item.passes(values, clients) if item.passes else None)}
        if item.group is None:
            result[item.name] = row
        else:
            result.setdefault(item.group, {})[item.name] = row
    verdicts = [row.get("verdict") for group in result.values() if isinstance(group, dict)
                for row in group.values() if isinstance(row, dict)]
    verdicts += [row.get("verdict") for row in result.values() if isinstance(row, dict)]
    result["verdict"] = "ERROR" if "ERROR" in verdicts else ("OVER" if "OVER" in verdicts else "PASS")
    return result


def cpu_column(row: dict) -> str:
    """The server's own CPU time (see bench/wsgi.py): what the request costs without the crowd."""
    return f"{row['cpu_p95_ms']:>{16 - len(row['verdict'])}.2f}" if "cpu_p95_ms" in row else ""


def table(registry, result: dict) -> str:
    clients = result["book"]["clients"]
    lines = [f"book: {clients} clients on {result['book'].get('database', 'sqlite')}",
             f"{'request':<46}{'n':>5}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'p95/floor':>11}  "
             f"{'budget':<24}verdict  cpu p95 ms"]
    for item in registry.requests:
        row = result["requests"].get(item.name)
        if row is None:
            continue
        if item.name == "floor":
            lines.append(f"{item.label:<46}{row['samples']:>5}{row['p50_ms']:>9.2f}"
                         f"{row['p95_ms']:>9.2f}{row['p99_ms']:>9.2f}{'1.0x':>11}  {'-':<24}-{cpu_column(row)}")
            continue
        ratio = f"{row['vs_floor_p95']:.1f}x" if row["vs_floor_p95"] is not None else "?"
        budget = " ".join(filter(None, (
            f"<= {row['budget_p95_ms']:g} ms" if row["budget_p95_ms"] is not None else "",
            f"<= {row['budget_vs_floor']:g}x" if row["budget_vs_floor"] is not None else ""))).replace(" <", ", <")
        lines.append(f"{item.label:<46}{row['samples']:>5}{row['p50_ms']:>9.2f}{row['p95_ms']:>9.2f}"
                     f"{row['p99_ms']:>9.2f}{ratio:>11}  {budget:<24}{row['verdict']}{cpu_column(row)}")
    for item in registry.measures:
        # --only leaves some measures out: they have no row.
        row = result.get(item.name) if item.group is None else result.get(item.group, {}).get(item.name)
        if row is None:
            continue
        summary = f"failed: {row['error'][:WIDE - 8]}" if "error" in row else item.summary(row)
        lines.append(f"{item.label:<46}{summary:>{WIDE}}  {item.budget(clients):<24}{row['verdict']}")
    byte_labels = {item.bytes_key or item.name: f"{item.label}: largest (gzip)" for item in registry.requests}
    byte_labels["first_page"] = "first page load (gzip: HTML+CSS+JS)"
    for name, row in result["bytes"].items():
        if name == "first_page_files":
            continue
        budget = f"<= {row['budget_bytes'] // 1024} KB"
        lines.append(f"{byte_labels.get(name, name):<46}{row['bytes'] / 1024:>{WIDE - 3}.1f} KB  {budget:<24}"
                     f"{row['verdict']}")
    lines.append(f"overall: {result['verdict']}")
    return "\n".join(lines)


def json_line(result: dict) -> str:
    return json.dumps(result, sort_keys=True, ensure_ascii=False)
