"""The benchmark's verdict: a table against the design budgets, then one JSON line with the same figures."""
from __future__ import annotations

import json

# name -> (label, p95 budget in ms, budget as a multiple of the floor's p95)
REQUEST_BUDGETS = {
    "search": ("active search (htmx partial)", 25.0, 10.0),
    "card": ("client card (many purchases)", 30.0, 12.0),
    "today": ("Today list (busy associate)", 30.0, 12.0),
}
SECONDS_BUDGETS = {
    "generation_first": ("reminder generation, whole book (first run)", 3.0),
    "generation_next_day": ("reminder generation, whole book (next day)", 3.0),
    "import": ("import Shopify CSV", 30.0),
}
BYTES_BUDGETS = {
    "first_page": ("first page load (gzip: HTML+CSS+JS)", 60 * 1024),
    "partial": ("search partial (gzip, largest)", 8 * 1024),
}


def verdict(ok: bool | None) -> str:
    return "-" if ok is None else ("PASS" if ok else "OVER")


def evaluate(measured: dict, seconds: dict, book: dict) -> dict:
    """Figures and verdicts, shaped like the final JSON line."""
    requests = measured["requests"]
    floor_p95 = requests["floor"]["p95_ms"]
    result = {"book": book, "requests": {}, "seconds": {}, "bytes": {}}
    result["requests"]["floor"] = {**requests["floor"], "vs_floor_p95": 1.0, "verdict": "-"}
    for name, (label, budget_ms, budget_ratio) in REQUEST_BUDGETS.items():
        if name not in requests:
            continue
        figures = requests[name]
        ratio = round(figures["p95_ms"] / floor_p95, 2) if floor_p95 else None
        ok = figures["p95_ms"] <= budget_ms and ratio is not None and ratio <= budget_ratio
        result["requests"][name] = {**figures, "vs_floor_p95": ratio, "budget_p95_ms": budget_ms,
                                    "budget_vs_floor": budget_ratio, "verdict": verdict(ok)}
    for name, (label, budget_s) in SECONDS_BUDGETS.items():
        if name in seconds:
            value = seconds[name]
            result["seconds"][name] = {**value, "budget_s": budget_s,
                                       "verdict": verdict(value["seconds"] <= budget_s)}
    sizes = {"first_page": measured["bytes"]["first_page_bytes"], "partial": requests.get("search", {}).get("max_bytes")}
    for name, (label, budget_bytes) in BYTES_BUDGETS.items():
        if sizes.get(name) is not None:
            result["bytes"][name] = {"bytes": sizes[name], "budget_bytes": budget_bytes,
                                     "verdict": verdict(sizes[name] <= budget_bytes)}
    result["bytes"]["first_page_files"] = measured["bytes"]["first_page_files"]
    verdicts = [v["verdict"] for group in ("requests", "seconds") for v in result[group].values()]
    verdicts += [v["verdict"] for k, v in result["bytes"].items() if k in BYTES_BUDGETS]
    result["verdict"] = "OVER" if "OVER" in verdicts else "PASS"
    return result


def table(result: dict) -> str:
    lines = [f"{'request':<46}{'n':>5}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'p95/floor':>11}  "
             f"{'budget':<24}verdict"]
    floor = result["requests"]["floor"]
    lines.append(f"{'floor (bare route, same server)':<46}{floor['samples']:>5}{floor['p50_ms']:>9.2f}"
                 f"{floor['p95_ms']:>9.2f}{floor['p99_ms']:>9.2f}{'1.0x':>11}  {'-':<24}-")
    for name, (label, budget_ms, budget_ratio) in REQUEST_BUDGETS.items():
        row = result["requests"].get(name)
        if row is None:
            lines.append(f"{label:<46}{'not measured (feature missing)':>43}")
            continue
        ratio = f"{row['vs_floor_p95']:.1f}x" if row["vs_floor_p95"] is not None else "?"
        lines.append(f"{label:<46}{row['samples']:>5}{row['p50_ms']:>9.2f}{row['p95_ms']:>9.2f}"
                     f"{row['p99_ms']:>9.2f}{ratio:>11}  {f'<= {budget_ms:g} ms, <= {budget_ratio:g}x':<24}"
                     f"{row['verdict']}")
    for name, (label, budget_s) in SECONDS_BUDGETS.items():
        row = result["seconds"].get(name)
        if row is None:
            lines.append(f"{label:<46}{'not measured (feature missing)':>43}")
            continue
        detail = f"{row['seconds']:.2f} s" + (f" ({row['detail']})" if row.get("detail") else "")
        lines.append(f"{label:<46}{detail:>43}  {f'<= {budget_s:g} s':<24}{row['verdict']}")
    for name, (label, budget_bytes) in BYTES_BUDGETS.items():
        row = result["bytes"].get(name)
        if row is None:
            continue
        lines.append(f"{label:<46}{row['bytes'] / 1024:>40.1f} KB  {f'<= {budget_bytes // 1024} KB':<24}"
                     f"{row['verdict']}")
    lines.append(f"overall: {result['verdict']}")
    return "\n".join(lines)


def json_line(result: dict) -> str:
    return json.dumps(result, sort_keys=True, ensure_ascii=False)
