"""`make run`: the web app under gunicorn and the Huey consumer, supervised together.

Each outlives the other: if one stops unexpectedly (an out-of-memory kill during a huge import,
say) it is started again after a short pause that grows while it keeps failing, and the terminal
says so. Ctrl-C stops both. Problems with the instance folder (read-only, disk full, an empty
secret key) are explained in words before anything starts.
"""
from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from clientbook.instance_files import (
    InstanceProblem, check_writable, load_or_create_secret_key, private_umask, secure_instance,
)

BIN = Path(sys.executable).parent
PROJECT_ROOT = Path(__file__).resolve().parent.parent
FIRST_RESTART_DELAY = 1.0
LONGEST_RESTART_DELAY = 60.0
HEALTHY_AFTER_SECONDS = 60.0  # a process that ran this long starts again without delay


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


def instance_folder() -> Path:
    return Path(os.environ.get("CLIENTBOOK_INSTANCE_PATH") or PROJECT_ROOT / "instance")


def prepare_instance(instance: Path) -> None:
    """Private, writable instance folder with a secret key and an up-to-date database, or InstanceProblem."""
    secure_instance(instance)
    check_writable(instance)
    load_or_create_secret_key(instance)
    upgrade = subprocess.run([str(BIN / "flask"), "--app", "app", "db", "upgrade"], cwd=PROJECT_ROOT,
                             capture_output=True, text=True)
    if upgrade.returncode != 0:
        lines = [line for line in upgrade.stderr.strip().splitlines() if line.strip()]
        last = lines[-1] if lines else f"exit code {upgrade.returncode}"
        raise InstanceProblem(f"The database could not be prepared ({database_problem(last)}).")


def database_problem(error_line: str) -> str:
    text = error_line.lower()
    if "disk is full" in text or "no space" in text:
        return "the disk is full: free some space and start again"
    if "readonly" in text or "read-only" in text or "unable to open database" in text:
        return f"the instance folder {instance_folder()} can't be written to"
    return error_line.split(": ", 1)[-1]


def port_problem(host: str, port: int) -> str | None:
    """Words for a port someone else already listens on (another Clientbook, say), else None."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            return (f"port {port} is already in use ({exc.strerror}). Is Clientbook already running? "
                    f"Otherwise choose another port: make run PORT=8001")
    return None


def describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"was stopped by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"was stopped by signal {-code}"
    return f"exited with code {code}"


class Supervised:
    """One child process that is started again, with growing pauses, whenever it stops."""

    def __init__(self, name: str, command: list[str], env: dict[str, str] | None = None):
        self.name, self.command, self.env = name, command, env
        self.process: subprocess.Popen | None = None
        self.started_at = 0.0
        self.failures = 0
        self.restart_at: float | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(self.command, env=self.env, cwd=PROJECT_ROOT)
        self.started_at = time.monotonic()
        self.restart_at = None

    def check(self, now: float) -> None:
        """Notice a stop and plan the restart; start it when its time has come."""
        if self.restart_at is not None:
            if now >= self.restart_at:
                self.start()
                say(f"The {self.name} started again (pid {self.process.pid}).")
            return
        code = self.process.poll()
        if code is None:
            return
        ran_for = now - self.started_at
        self.failures = 0 if ran_for >= HEALTHY_AFTER_SECONDS else self.failures + 1
        delay = min(LONGEST_RESTART_DELAY, FIRST_RESTART_DELAY * 2 ** max(self.failures - 1, 0))
        self.restart_at = now + delay
        say(f"The {self.name} {describe_exit(code)} after {ran_for:.0f} s; starting it again in {delay:.0f} s.")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def wait(self) -> None:
        if self.process is None:
            return
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def say(text: str) -> None:
    print(f"  {time.strftime('%H:%M:%S')} {text}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=max(2, (os.cpu_count() or 1) * 2))
    args = parser.parse_args(argv)

    private_umask()  # children inherit it: every file they create is private to this account
    try:
        prepare_instance(instance_folder())
        busy_port = port_problem(args.host, args.port)
        if busy_port:
            raise InstanceProblem(busy_port)
    except InstanceProblem as problem:
        print(f"\n  Clientbook can't start: {problem}\n", file=sys.stderr, flush=True)
        return 1

    worker_env = dict(os.environ, CLIENTBOOK_HUEY_WORKER="1")
    children = [Supervised("web app", web_command(args.host, args.port, args.workers)),
                Supervised("worker", worker_command(), env=worker_env)]
    for child in children:
        child.start()
    print(f"\n  Clientbook is running. Open http://localhost:{args.port}/ on this machine", flush=True)
    for address in lan_addresses():
        print(f"  or http://{address}:{args.port}/ from a tablet or phone on the shop's network", flush=True)
    print("  Press Ctrl-C to stop the web app and the worker.\n", flush=True)
    say(f"Web app pid {children[0].process.pid}, worker pid {children[1].process.pid}.")

    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        while not stopping:
            now = time.monotonic()
            for child in children:
                child.check(now)
            time.sleep(0.3)
    finally:
        for child in children:
            child.stop()
        for child in children:
            child.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
