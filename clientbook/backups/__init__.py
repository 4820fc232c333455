"""Backups (whole-instance zip files), restore, the nightly backup and its status in Settings."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from clientbook.backups.cli import COMMANDS

    for command in COMMANDS:
        app.cli.add_command(command)
