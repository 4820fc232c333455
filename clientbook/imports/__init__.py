"""Importing clients and purchases from CSV, exporting the book, and the demo book."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from clientbook.imports import views
    from clientbook.imports.cli import COMMANDS

    app.register_blueprint(views.bp)
    for command in COMMANDS:
        app.cli.add_command(command)
