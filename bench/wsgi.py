"""The app as the benchmark serves it: the product, plus a floor route that exists only here.

The floor is a bare route on the same server with the same middleware (before/after-request
hooks, compression, security headers), so every request's cost can be read against it.
"""
import time

from clientbook import create_app

app = create_app()


@app.get("/__bench/floor")
def bench_floor():
    return "ok"


class CpuTime:
    """Adds X-Bench-Cpu-Ms: the CPU time this worker spent on the request (Python and SQLite work;
    a PostgreSQL server's own work is not in it). Unlike wall time, it barely moves when other
    work crowds the machine, so it shows what a request costs on a shared 2-core box."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        started = time.thread_time()

        def timed_start_response(status, headers, exc_info=None):
            headers.append(("X-Bench-Cpu-Ms", f"{(time.thread_time() - started) * 1000:.3f}"))
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, timed_start_response)


app.wsgi_app = CpuTime(app.wsgi_app)
