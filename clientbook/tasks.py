"""The Huey instance and the glue that runs every task inside an app context.

The consumer is started as `huey_consumer clientbook.tasks.huey`; importing this
module builds the Flask app so tasks find their configuration. Feature modules
declare their own tasks with `@huey.task()` / `@huey.periodic_task()` and the
`with_app_context` decorator, taking ids, never ORM objects.
"""
from __future__ import annotations

import functools
import os
from pathlib import Path

from flask import Flask, has_app_context
from huey import SqliteHuey

from clientbook.instance_files import private_umask

_DEFAULT_FILE = Path(
    os.environ.get("CLIENTBOOK_INSTANCE_PATH") or Path(__file__).resolve().parent.parent / "instance"
) / "huey.sqlite3"

private_umask()  # the queue holds message bodies: created 0600 like every instance file
_DEFAULT_FILE.parent.mkdir(parents=True, exist_ok=True)
huey = SqliteHuey("clientbook", filename=os.environ.get("CLIENTBOOK_HUEY_FILE", str(_DEFAULT_FILE)))

_worker_app: Flask | None = None


def configure_huey(app: Flask) -> None:
    """Point the shared Huey at this app's queue file, or run tasks inline (tests)."""
    filename = app.config["HUEY_FILE"]
    if huey.storage_kwargs.get("filename") != filename:
        Path(filename).parent.mkdir(parents=True, exist_ok=True)
        huey.storage_kwargs["filename"] = filename
        if not huey.immediate:
            huey.storage = huey.create_storage()
    huey.immediate = bool(app.config["HUEY_IMMEDIATE"])


def with_app_context(fn):
    """Run a task body inside an app context: the caller's (immediate mode) or the worker's."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if has_app_context():
            return fn(*args, **kwargs)
        with worker_app().app_context():
            return fn(*args, **kwargs)

    return wrapper


def worker_app() -> Flask:
    global _worker_app
    if _worker_app is None:
        from clientbook import create_app

        _worker_app = create_app()
    return _worker_app


def load_task_modules() -> None:
    """Import every module that declares tasks, so the consumer registers them."""
    import clientbook.messaging.tasks  # noqa: F401
    import clientbook.reminders.tasks  # noqa: F401
    import clientbook.appointments.tasks  # noqa: F401
    import clientbook.backups.tasks  # noqa: F401


if os.environ.get("CLIENTBOOK_HUEY_WORKER") == "1":
    # The consumer process: build the app (which also binds the queue file) and register tasks.
    worker_app()
    load_task_modules()
