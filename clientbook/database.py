"""Engine-level settings that make SQLite safe for a web app with a worker beside it, and the
SQL function `fold(x)` on both databases (see clientbook.text), and the words people see when
the database can't take a write (busy, disk full, read-only).

PostgreSQL needs none of the SQLite settings; every hook here checks the dialect first.
"""
from __future__ import annotations

import errno
import logging
import sqlite3

from flask import Flask, Response, g, has_request_context, make_response, render_template, request
from sqlalchemy import DDL, event
from sqlalchemy.engine import Engine
from markupsafe import escape
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from clientbook.extensions import db
from clientbook.text import POSTGRES_DROP_FOLD_FUNCTION, postgres_fold_function, sql_fold

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 5000
READ_ONLY_METHODS = {"GET", "HEAD", "OPTIONS"}
# SQLite 3.7.0 to 3.51.2 can corrupt a WAL database when several processes write while a
# checkpoint resets the log (fixed in 3.51.3). On those versions memory-mapped I/O stays off.
WAL_RESET_FIXED = (3, 51, 3)
WAL_RESET_BROKEN_FROM = (3, 7, 0)


def sqlite_has_wal_reset_bug(version: str = sqlite3.sqlite_version) -> bool:
    parts = tuple(int(part) for part in version.split(".")[:3])
    return WAL_RESET_BROKEN_FROM <= parts < WAL_RESET_FIXED


def sqlite_warning(version: str = sqlite3.sqlite_version) -> str | None:
    if not sqlite_has_wal_reset_bug(version):
        return None
    return (f"SQLite {version} has a known bug (fixed in 3.51.3) that can corrupt the database when the "
            "web app and the worker write at the same moment during a checkpoint. Clientbook keeps "
            "memory-mapped I/O off, which avoids the common case; for many staff writing at once, "
            "move to PostgreSQL (see README, 'Growing beyond one machine').")


_warned: list[bool] = []


def configure_sqlite(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return
    warning = sqlite_warning()
    if warning and not _warned:
        log.warning(warning)
        _warned.append(True)  # once per process, not per app

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        # Let SQLAlchemy's "begin" event decide how each transaction starts.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        if warning:
            cursor.execute("PRAGMA mmap_size=0")
        cursor.close()
        dbapi_connection.create_function("fold", 1, sql_fold, deterministic=True)

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        # A deferred transaction that later writes can fail with "database is locked"
        # without waiting; IMMEDIATE takes the write lock up front and honours the
        # busy timeout. Page reads stay deferred so they never queue behind writers,
        # and so does everything a form post does after its commit (rendering the
        # answer): the write lock is held only while the change is being written.
        if has_request_context() and (request.method in READ_ONLY_METHODS or g.get("database_writes_done")):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    @event.listens_for(engine, "commit")
    def on_commit(_connection):
        if has_request_context():
            g.database_writes_done = True


# ---- when the database can't take a write ----------------------------------------------------

BUSY = "Busy, try again: someone else was saving at the same moment. What you typed is still here."
DISK_FULL = ("Not saved: the disk of the computer running Clientbook is full. Ask the owner to free some "
             "space; what you typed is still here.")
READ_ONLY = ("Not saved: Clientbook may not write to its data folder (it is read-only). Ask the owner to "
             "check the instance folder; what you typed is still here.")


FILE_SYSTEM_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS}


def classify(error: BaseException) -> tuple[int, str] | None:
    """(status, words) for a database or file error a person should hear about, else None."""
    text = str(getattr(error, "orig", None) or error).lower()
    if "locked" in text or "busy" in text:
        return 503, BUSY
    if "disk is full" in text or "no space left" in text or "disk i/o error" in text:
        return 507, DISK_FULL
    if "readonly" in text or "read-only" in text or "unable to open database" in text:
        return 503, READ_ONLY
    if isinstance(error, OSError) and error.errno in FILE_SYSTEM_ERRNOS:
        return (503, READ_ONLY) if error.errno == errno.EROFS else (507, DISK_FULL)
    return None


def problem_response(status: int, words: str) -> Response:
    """htmx keeps the form as it is and shows the words beside it (static/js/htmx-feedback.js);
    a plain form post gets a page that says what happened."""
    if request.htmx:
        response = make_response(words, status)
        response.mimetype = "text/plain"
    else:
        title = words.split(":")[0]
        try:
            body = render_template("error.html", title=title, message=words)
        except SQLAlchemyError:
            # The page around the message needs the database (who is signed in): say it plainly.
            body = (f"<!doctype html><html lang=\"en\"><title>{escape(title)}</title>"
                    f"<h1>{escape(title)}</h1><p>{escape(words)}</p></html>")
        response = make_response(body, status)
    if status == 503:
        response.headers["Retry-After"] = "2"
    return response


def init_app(app: Flask) -> None:
    def handle(error):
        try:
            db.session.rollback()
        except SQLAlchemyError:
            pass  # the connection itself failed: nothing to roll back
        g.database_writes_done = True  # the error page only reads, even while a writer holds the lock
        known = classify(error)
        if known is None:
            raise error
        log.warning("%s %s answered %s: %s", request.method, request.path, known[0], error)
        return problem_response(*known)

    app.register_error_handler(OperationalError, handle)
    app.register_error_handler(OSError, handle)


# PostgreSQL's fold(text) comes with create_all() too (the migrations create it for installs).
event.listen(db.metadata, "before_create", DDL(postgres_fold_function()).execute_if(dialect="postgresql"))
event.listen(db.metadata, "after_drop", DDL(POSTGRES_DROP_FOLD_FUNCTION).execute_if(dialect="postgresql"))
