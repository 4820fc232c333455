"""The load generator: a second process that times requests to the server over loopback HTTP.

`python -m bench.measure SPEC.json` prints one JSON object with the timings. Requests are
sequential (one at a time, a fresh connection each, as gunicorn's sync workers close them) and
interleaved round-robin across request types, so a burst of load elsewhere on the machine hits
the floor and the pages alike. Every loop is bounded in count and in time.
"""
from __future__ import annotations

import gzip
import http.client
import json
import re
import sys
import time
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urljoin, urlsplit

CSRF_INPUT = re.compile(r'<input[^>]*name="csrf_token"[^>]*>')
VALUE = re.compile(r'value="([^"]*)"')
ASSETS = re.compile(r'<(?:link[^>]*rel="stylesheet"[^>]*href|script[^>]*src)="([^"]+)"')


class Browserish:
    """Just enough of a browser: cookies, gzip, a fresh connection per request."""

    def __init__(self, base: str):
        parts = urlsplit(base)
        self.base = base
        self.host, self.port = parts.hostname, parts.port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, headers: dict | None = None, body: str | None = None):
        all_headers = {"Accept-Encoding": "gzip", "User-Agent": "clientbook-bench", **(headers or {})}
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=all_headers)
            response = connection.getresponse()
            raw = response.read()
        finally:
            connection.close()
        for header in response.msg.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(header)
            for name, morsel in cookie.items():
                if morsel.value:
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        return response, raw

    @staticmethod
    def text(response, raw: bytes) -> str:
        if response.getheader("Content-Encoding") == "gzip":
            raw = gzip.decompress(raw)
        return raw.decode("utf-8", errors="replace")

    def get_following(self, path: str, headers: dict | None = None, hops: int = 5):
        for _ in range(hops):
            response, raw = self.request("GET", path, headers)
            if response.status in (301, 302, 303, 307, 308):
                path = urlsplit(urljoin(self.base + path, response.getheader("Location"))).path
                continue
            return path, response, raw
        raise RuntimeError(f"too many redirects from {path}")

    def log_in(self, email: str, password: str) -> None:
        response, raw = self.request("GET", "/login")
        match = CSRF_INPUT.search(self.text(response, raw))
        if not match:
            raise RuntimeError(f"no CSRF field on /login (HTTP {response.status})")
        token = VALUE.search(match.group(0)).group(1)
        response, _ = self.request("POST", "/login", body=urlencode(
            {"csrf_token": token, "email": email, "password": password}))
        if response.status not in (302, 303):
            raise RuntimeError(f"could not sign in as {email}: HTTP {response.status}")


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), int(-(-fraction * len(sorted_values) // 1))))
    return sorted_values[rank - 1]


def summarise(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {"samples": len(ordered), "p50_ms": round(percentile(ordered, 0.50), 3),
            "p95_ms": round(percentile(ordered, 0.95), 3), "p99_ms": round(percentile(ordered, 0.99), 3)}


def run(spec: dict) -> dict:
    base = spec["base"]
    sessions: dict[str | None, Browserish] = {None: Browserish(base)}
    for name, (email, password) in spec["sessions"].items():
        sessions[name] = Browserish(base)
        sessions[name].log_in(email, password)

    kinds = spec["requests"]
    timings: dict[str, list[float]] = {kind["name"]: [] for kind in kinds}
    sizes: dict[str, list[int]] = {kind["name"]: [] for kind in kinds}
    cpu_times: dict[str, list[float]] = {kind["name"]: [] for kind in kinds}

    def one(kind: dict, index: int, record: bool) -> None:
        client = sessions[kind.get("session")]
        path = kind["paths"][index % len(kind["paths"])]
        started = time.perf_counter()
        response, raw = client.request("GET", path, kind.get("headers"))
        elapsed = (time.perf_counter() - started) * 1000
        if response.status != 200:
            raise RuntimeError(f"{kind['name']}: GET {path} answered HTTP {response.status}")
        if record:
            timings[kind["name"]].append(elapsed)
            sizes[kind["name"]].append(len(raw))
            cpu = response.getheader("X-Bench-Cpu-Ms")
            if cpu is not None:
                cpu_times[kind["name"]].append(float(cpu))

    for index in range(spec["warmup"]):
        for kind in kinds:
            one(kind, index, record=False)
    deadline = time.monotonic() + spec["max_seconds"]
    index = 0
    while index < spec["samples"] and time.monotonic() < deadline:
        for kind in kinds:
            one(kind, index, record=True)
        index += 1

    results = {}
    for kind in kinds:
        name = kind["name"]
        results[name] = {**summarise(timings[name]), "max_bytes": max(sizes[name], default=0)}
        if cpu_times[name]:
            results[name]["cpu_p95_ms"] = summarise(cpu_times[name])["p95_ms"]
    return {"requests": results, "bytes": first_load_bytes(sessions[spec["bytes"]["session"]], spec["bytes"])}


def first_load_bytes(client: Browserish, spec: dict) -> dict:
    """Compressed bytes a browser downloads for the first page: HTML plus its CSS and JS."""
    path, response, raw = client.get_following(spec["first_page"])
    html = client.text(response, raw)
    files = {path: len(raw)}
    for asset in dict.fromkeys(ASSETS.findall(html)):
        asset_path = urlsplit(asset).path
        asset_response, asset_raw = client.request("GET", asset_path)
        if asset_response.status != 200:
            raise RuntimeError(f"GET {asset_path} answered HTTP {asset_response.status}")
        files[asset_path] = len(asset_raw)
    return {"first_page_path": path, "first_page_bytes": sum(files.values()), "first_page_files": files}


def main(argv: list[str]) -> int:
    spec = json.loads(open(argv[1]).read())
    print(json.dumps(run(spec)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
