"""Instance files hold client data: private (0600 files in a 0700 folder), written whole or not
at all, and an unusable secret key is refused with a sentence rather than a broken app."""
from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from clientbook import create_app
from clientbook.extensions import db
from clientbook.instance_files import InstanceProblem, load_or_create_secret_key, write_atomic
from clientbook.models import Client


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def world_umask():
    """Start from the usual 022 umask, as a shell would; restore the test process's own after."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_every_instance_file_is_private(tmp_path, monkeypatch, world_umask):
    instance = tmp_path / "instance"
    monkeypatch.setenv("CLIENTBOOK_INSTANCE_PATH", str(instance))
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'clientbook.sqlite3'}",
                      "HUEY_FILE": str(instance / "huey.sqlite3")})
    with app.app_context():
        db.create_all()
        db.session.add(Client(first_name="Éloïse"))
        db.session.commit()
        (instance / "media").mkdir()
        (instance / "media" / "photo.jpg").write_bytes(b"jpeg")
        names = {path.name for path in instance.rglob("*")}
        assert {"clientbook.sqlite3", "clientbook.sqlite3-wal", "clientbook.sqlite3-shm", "huey.sqlite3",
                "secret_key"} <= names
        for path in [instance, *instance.rglob("*")]:
            expected = 0o700 if path.is_dir() else 0o600
            assert mode(path) == expected, f"{path.relative_to(tmp_path)} is {oct(mode(path))}"
        db.engine.dispose()


def test_files_left_readable_by_an_older_version_are_made_private(tmp_path, monkeypatch, world_umask):
    instance = tmp_path / "instance"
    (instance / "backups").mkdir(parents=True)
    old_backup = instance / "backups" / "clientbook-2026-03-01.zip"
    old_backup.write_bytes(b"zip")
    old_backup.chmod(0o644)
    instance.chmod(0o755)
    monkeypatch.setenv("CLIENTBOOK_INSTANCE_PATH", str(instance))
    create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x"})
    assert mode(old_backup) == 0o600 and mode(instance / "backups") == 0o700 and mode(instance) == 0o700


def test_an_empty_secret_key_is_refused_with_a_sentence(tmp_path):
    (tmp_path / "secret_key").write_text("\n")
    with pytest.raises(InstanceProblem, match="secret key file .* is empty.*Delete it"):
        load_or_create_secret_key(tmp_path)


def test_a_secret_key_is_written_whole_or_not_at_all(tmp_path):
    """A disk that takes only 10 bytes (a file-size limit in a child process) leaves no key file."""
    script = textwrap.dedent(f"""
        import resource, signal
        from pathlib import Path
        from clientbook.instance_files import InstanceProblem, load_or_create_secret_key
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (10, 10))
        try:
            load_or_create_secret_key(Path({str(tmp_path)!r}))
        except InstanceProblem as problem:
            print(problem)
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            cwd=Path(__file__).resolve().parent.parent)
    assert "disk is full" in result.stdout, result.stdout + result.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == []
    # Space is back: the next start makes a good key.
    assert len(load_or_create_secret_key(tmp_path)) == 64


def test_processes_starting_together_on_a_fresh_instance_share_one_secret_key(tmp_path):
    """gunicorn's workers create the key at the same moment: all must read the same one, or a
    session signed by one worker is refused by the other."""
    script = textwrap.dedent(f"""
        import time
        from pathlib import Path
        from clientbook.instance_files import load_or_create_secret_key
        while time.time() < {time.time() + 1.5}:  # start together
            pass
        print(load_or_create_secret_key(Path({str(tmp_path)!r})))
    """)
    root = Path(__file__).resolve().parent.parent
    starters = [subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=root)
                for _ in range(6)]
    keys = {starter.communicate(timeout=30)[0].strip() for starter in starters}
    assert keys == {(tmp_path / "secret_key").read_text()}
    assert [path.name for path in tmp_path.iterdir()] == ["secret_key"]  # no temporary file left


def test_a_key_that_exists_is_never_replaced(tmp_path):
    (tmp_path / "secret_key").write_text("the-first-key")
    assert load_or_create_secret_key(tmp_path) == "the-first-key"
    assert write_atomic(tmp_path / "secret_key", b"another", keep_existing=True) is False
    assert (tmp_path / "secret_key").read_text() == "the-first-key"
