"""`make run` (clientbook.serve) as real processes on 127.0.0.1: the web app and the worker
outlive each other, a stopped one is started again and the terminal says so; instance problems
are explained in words, without tracebacks."""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from tests.test_digest import _free_port

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


class Serve:
    def __init__(self, instance: Path, port: int):
        env = dict(os.environ, CLIENTBOOK_INSTANCE_PATH=str(instance), PYTHONUNBUFFERED="1")
        self.port = port
        self.process = subprocess.Popen(
            [sys.executable, "-m", "clientbook.serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
        self.output: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            self.output.append(line)

    def text(self) -> str:
        return "".join(self.output)

    def wait_for(self, pattern: str, timeout: float = 30) -> re.Match:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(pattern, self.text())
            if found:
                return found
            time.sleep(0.1)
        raise AssertionError(f"{pattern!r} not printed; output:\n{self.text()}")

    def answers(self, timeout: float = 30) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/static/icon.svg", timeout=2) as reply:
                    return reply.status == 200
            except OSError:
                time.sleep(0.2)
        return False

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/stat")
    return not status.exists() or status.read_text().split()[2] != "Z"


def test_a_killed_worker_is_restarted_and_a_killed_web_app_too(tmp_path):
    serve = Serve(tmp_path / "instance", _free_port())
    try:
        pids = serve.wait_for(r"Web app pid (\d+), worker pid (\d+)", timeout=60)
        web_pid, worker_pid = int(pids[1]), int(pids[2])
        assert serve.answers()

        os.kill(worker_pid, signal.SIGKILL)  # as the out-of-memory killer would
        serve.wait_for(r"The worker was stopped by signal SIGKILL")
        assert serve.answers(timeout=5), "the web app must outlive the worker"
        new_worker = int(serve.wait_for(r"The worker started again \(pid (\d+)\)")[1])
        assert new_worker != worker_pid and alive(new_worker)

        os.kill(web_pid, signal.SIGKILL)
        serve.wait_for(r"The web app was stopped by signal SIGKILL")
        assert alive(new_worker), "the worker must outlive the web app"
        serve.wait_for(r"The web app started again")
        assert serve.answers()
    finally:
        serve.stop()
    assert serve.process.returncode == 0
    assert "Traceback" not in serve.text()


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("unshare"), reason="needs root to mount a filesystem")
@pytest.mark.parametrize("mount_options, words", [
    ("ro,size=1m", "can't be written to|read-only"),
    ("size=16k", "disk is full"),
])
def test_instance_problems_are_said_in_words(tmp_path, mount_options, words):
    """A read-only or full instance folder (a private tmpfs mount): a sentence, exit 1, no traceback."""
    instance = tmp_path / "instance"
    instance.mkdir()
    script = (f"mount -t tmpfs -o {mount_options} tmpfs {instance} && "
              f"{{ head -c 12288 /dev/zero > {instance}/filler 2>/dev/null; true; }} && "
              f"exec {sys.executable} -m clientbook.serve --host 127.0.0.1 --port {_free_port()} --workers 1")
    result = subprocess.run(["unshare", "-m", "sh", "-c", script], cwd=ROOT, capture_output=True, text=True,
                            timeout=120, env=dict(os.environ, CLIENTBOOK_INSTANCE_PATH=str(instance)))
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert re.search(f"Clientbook can't start: .*({words})", output), output
    assert "Traceback" not in output


def test_a_port_in_use_is_said_in_words(tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "clientbook.serve", "--host", "127.0.0.1", "--port", str(port)],
                                cwd=ROOT, capture_output=True, text=True, timeout=120,
                                env=dict(os.environ, CLIENTBOOK_INSTANCE_PATH=str(tmp_path / "instance")))
    assert result.returncode == 1
    assert f"Clientbook can't start: port {port} is already in use" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
