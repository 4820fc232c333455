"""Clientbook: a self-hosted clienteling app for small shops."""
from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

from clientbook.extensions import compress, csrf, db, htmx, login_manager, migrate
from clientbook.instance_files import load_or_create_secret_key, secure_instance

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS_DIR = PROJECT_ROOT / "migrations"


def create_app(config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=os.environ.get("CLIENTBOOK_INSTANCE_PATH") or str(PROJECT_ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    secure_instance(Path(app.instance_path))
    app.config.from_mapping(
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{Path(app.instance_path) / 'clientbook.sqlite3'}",
        HUEY_FILE=str(Path(app.instance_path) / "huey.sqlite3"),
        HUEY_IMMEDIATE=False,
        MAX_CONTENT_LENGTH=30 * 1024 * 1024,  # largest upload (CSV imports)
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,  # tokens live as long as the session: tablets stay open all day
        COMPRESS_MIMETYPES=["text/html", "text/css", "text/javascript", "application/javascript", "text/csv",
                            "application/json"],
        # gzip for everything, static files (streamed responses) included: every browser accepts it.
        COMPRESS_ALGORITHM=["gzip"],
        COMPRESS_ALGORITHM_STREAMING=["gzip"],
        SEND_FILE_MAX_AGE_DEFAULT=3600,
        LOGIN_RATE_LIMIT=5,  # failed attempts per account/address...
        LOGIN_RATE_WINDOW_SECONDS=15 * 60,  # ...within this window
    )
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("CLIENTBOOK")
    if config:
        app.config.update(config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = load_or_create_secret_key(Path(app.instance_path))

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    compress.init_app(app)
    htmx.init_app(app)

    with app.app_context():
        from clientbook import database

        database.configure_sqlite(db.engine)
    database.init_app(app)
    from clientbook import form_tokens

    form_tokens.init_app(app)

    from clientbook import tasks

    tasks.configure_huey(app)
    tasks.load_task_modules()  # their signal receivers are how domain code asks for queue work

    from clientbook import auth, web

    web.init_app(app)
    auth.init_app(app)
    _register_features(app)
    return app


def _register_features(app: Flask) -> None:
    """Blueprints, one per feature; each owns its routes, CLI commands and templates/<name>/."""
    from clientbook import (
        appointments, backups, clients, conversations, imports, jobs, messaging, navigation, privacy, reminders,
        settings,
    )

    app.register_blueprint(settings.bp)
    for feature in (clients, imports, reminders, messaging, conversations, appointments, backups, jobs, privacy):
        feature.init_app(app)
    navigation.init_app(app)

