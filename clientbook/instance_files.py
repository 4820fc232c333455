"""The instance folder holds client data: databases, queue, secret key, backups, uploads, media.

Everything in it is private to the account that runs the shop: files 0600, folders 0700.
The process umask makes new files private from the start (SQLite's -wal/-shm files follow
the database file's mode); `secure_instance` also corrects files left by an older version.
Files written by the app go through `write_atomic`, so a full disk never leaves half a file.
"""
from __future__ import annotations

import errno
import os
import secrets
import tempfile
from pathlib import Path

PRIVATE_UMASK = 0o077
FILE_MODE = 0o600
FOLDER_MODE = 0o700


class InstanceProblem(RuntimeError):
    """Something about the instance folder stops the app; the message says what, in words."""


def private_umask() -> None:
    os.umask(PRIVATE_UMASK)


def secure_instance(instance: Path) -> None:
    """Create the folder if needed and make it and everything under it private."""
    private_umask()
    try:
        instance.mkdir(parents=True, exist_ok=True)
        for folder, subfolders, files in os.walk(instance):
            _chmod(Path(folder), FOLDER_MODE)
            for name in files:
                _chmod(Path(folder) / name, FILE_MODE)
    except OSError as exc:
        raise InstanceProblem(describe_os_error(exc, instance)) from exc


def _chmod(path: Path, mode: int) -> None:
    if path.is_symlink():
        return
    if (path.stat().st_mode & 0o777) != mode:
        path.chmod(mode)


def private_folder(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True, mode=FOLDER_MODE)
    path.chmod(FOLDER_MODE)
    return path


def write_atomic(path: Path, data: bytes, *, keep_existing: bool = False) -> bool:
    """Write `path` completely or not at all: a temporary file in the same folder, then rename.

    keep_existing: only if `path` doesn't exist yet (a hard link can't overwrite), so when
    several processes race to create it the first complete file wins. Returns whether this
    call wrote it.
    """
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, FILE_MODE)
        if not keep_existing:
            os.replace(temporary, path)
            return True
        try:
            os.link(temporary, path)
            return True
        except FileExistsError:
            return False
        finally:
            Path(temporary).unlink(missing_ok=True)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def load_or_create_secret_key(instance: Path) -> str:
    key_file = instance / "secret_key"
    try:
        if not key_file.exists():
            # gunicorn's workers start at once on a fresh instance: each must end up with the
            # same key, or a session signed by one is refused by the other.
            write_atomic(key_file, secrets.token_hex(32).encode(), keep_existing=True)
        key = key_file.read_text().strip()
    except OSError as exc:
        raise InstanceProblem(describe_os_error(exc, key_file)) from exc
    if not key:
        raise InstanceProblem(
            f"The secret key file {key_file} is empty (perhaps the disk was full when it was written). "
            "Delete it and start again to make a new one: everyone will have to sign in again and "
            "unsubscribe links in emails already sent will stop working."
        )
    return key


def describe_os_error(exc: OSError, path: Path | str) -> str:
    """What went wrong with an instance file, for a person rather than a traceback."""
    if exc.errno == errno.ENOSPC or exc.errno == errno.EFBIG or exc.errno == errno.EDQUOT:
        return f"The disk is full: Clientbook could not write {path}. Free some space on this computer and try again."
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return (f"Clientbook may not write to {path} (the folder is read-only or belongs to another user). "
                "Make the instance folder writable by the account that runs Clientbook.")
    return f"Clientbook could not use {path}: {exc.strerror or exc}."


def check_writable(instance: Path) -> None:
    """Raise InstanceProblem unless a file can be created (and filled) in the instance folder."""
    try:
        write_atomic(instance / ".write-check", b"x" * 4096)
        (instance / ".write-check").unlink()
    except OSError as exc:
        raise InstanceProblem(describe_os_error(exc, instance)) from exc
