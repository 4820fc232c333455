"""Conversations: the shop's inbox of client replies, one thread per client across channels."""
from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("conversations", __name__)


def init_app(app: Flask) -> None:
    from clientbook.conversations import views  # noqa: F401  (routes register on import)

    app.register_blueprint(bp)
