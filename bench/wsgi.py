"""The app as the benchmark serves it: the product, plus a floor route that exists only here.

The floor is a bare route on the same server with the same middleware (before/after-request
hooks, compression, security headers), so every request's cost can be read against it.
"""
from clientbook import create_app

app = create_app()


@app.get("/__bench/floor")
def bench_floor():
    return "ok"
