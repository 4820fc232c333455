"""The Huey instance and the glue that runs every task inside an app context.

The consumer is started as `huey_consumer clientbook.tasks.huey`; importing this
module builds the Flask app so tasks find their configuration. Feature modules
declare their own tasks with `@huey.task()` / `@huey.periodic_task()` and the
`with_app_context` decorator, taking ids, never ORM objects.

The queue lives in instance/huey.sqlite3 unless CLIENTBOOK_HUEY_URL=redis://... names a Redis
server: then any number of web workers and consumers, on any machines, share it. Periodic tasks
are enqueued by every consumer's scheduler, so each one is safe to run twice at once (database
claims decide who does the work; see reminders/generation.py, reminders/digest.py, messaging/).
"""
from __future__ import annotations

import functools
import os
from pathlib import Path

from flask import Flask, has_app_context
from huey import Huey
from huey.storage import PriorityRedisStorage, SqliteStorage

from clientbook.instance_files import private_umask

_DEFAULT_FILE = Path(
    os.environ.get("CLIENTBOOK_INSTANCE_PATH") or Path(__file__).resolve().parent.parent / "instance"
) / "huey.sqlite3"
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")

private_umask()  # the queue holds message bodies: created 0600 like every instance file


def storage_for(url: str | None, filename: str) -> tuple[type, dict]:
    """The queue's storage from configuration: a SQLite file by default, Redis for a `redis://` URL
    (several machines' workers and consumers then share one queue)."""
    if not url:
        Path(filename).parent.mkdir(parents=True, exist_ok=True)
        return SqliteStorage, {"filename": filename}
    if url.startswith(REDIS_SCHEMES):
        return PriorityRedisStorage, {"url": url}  # priorities, as SQLite's storage has them
    raise ValueError(f"HUEY_URL must start with one of {', '.join(REDIS_SCHEMES)} (or be unset for SQLite): {url!r}")


_storage_class, _storage_kwargs = storage_for(os.environ.get("CLIENTBOOK_HUEY_URL"),
                                              os.environ.get("CLIENTBOOK_HUEY_FILE", str(_DEFAULT_FILE)))
huey = Huey("clientbook", storage_class=_storage_class, **_storage_kwargs)

_worker_app: Flask | None = None


def configure_huey(app: Flask) -> None:
    """Point the shared Huey at this app's queue (HUEY_URL, else HUEY_FILE), or run tasks inline
    (HUEY_IMMEDIATE, tests; HUEY_IMMEDIATE_USE_MEMORY=False keeps the real queue for schedules,
    results and locks)."""
    storage_class, storage_kwargs = storage_for(app.config.get("HUEY_URL"), app.config["HUEY_FILE"])
    immediate = bool(app.config["HUEY_IMMEDIATE"])
    use_memory = bool(app.config.get("HUEY_IMMEDIATE_USE_MEMORY", True))
    wanted = (storage_class, storage_kwargs, immediate, use_memory)
    if wanted == (huey.storage_class, huey.storage_kwargs, huey.immediate, huey.immediate_use_memory):
        return
    huey.storage_class, huey.storage_kwargs = storage_class, storage_kwargs
    huey.immediate_use_memory = use_memory
    huey._immediate = immediate  # the property setter would build a storage before the class is set
    huey.storage = huey.create_storage()


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
    import clientbook.conversations.tasks  # noqa: F401
    import clientbook.backups.tasks  # noqa: F401


if os.environ.get("CLIENTBOOK_HUEY_WORKER") == "1":
    # The consumer process: build the app (which also binds the queue) and register tasks.
    worker_app()
    load_task_modules()
