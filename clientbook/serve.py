"""`make run`: the web app under gunicorn and the Huey consumer, started and stopped together."""
from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def lan_addresses() -> list[str]:
    """The addresses other devices on the shop's network can use (no traffic is sent)."""
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
    except OSError:
        return []
    return sorted({info[4][0] for info in infos if not info[4][0].startswith("127.")})


def web_command(host: str, port: int, workers: int) -> list[str]:
    return [str(BIN / "gunicorn"), "--bind", f"{host}:{port}", "--workers", str(workers),
            "--access-logfile", "-", "--graceful-timeout", "5", "app:app"]


def worker_command() -> list[str]:
    return [str(BIN / "huey_consumer"), "clientbook.tasks.huey", "--workers", "2", "--worker-type", "thread",
            "--flush-locks"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=max(2, (os.cpu_count() or 1) * 2))
    args = parser.parse_args(argv)

    worker_env = dict(os.environ, CLIENTBOOK_HUEY_WORKER="1")
    children = [
        subprocess.Popen(web_command(args.host, args.port, args.workers)),
        subprocess.Popen(worker_command(), env=worker_env),
    ]
    print(f"\n  Clientbook is running. Open http://localhost:{args.port}/ on this machine", flush=True)
    for address in lan_addresses():
        print(f"  or http://{address}:{args.port}/ from a tablet or phone on the shop's network", flush=True)
    print("  Press Ctrl-C to stop the web app and the worker.\n", flush=True)

    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        while not stopping and all(child.poll() is None for child in children):
            time.sleep(0.3)
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
    failed = [c for c in children if c.returncode not in (0, -signal.SIGTERM, None)]
    return 1 if failed and not stopping else 0


if __name__ == "__main__":
    sys.exit(main())
