"""Conversations: the shop's inbox of client replies, one thread per client across channels."""
from __future__ import annotations

from flask import Blueprint, Flask, g
from flask_login import current_user

bp = Blueprint("conversations", __name__)


def inbox_badge() -> int:
    """Unread threads this person may open (the number next to Inbox in the navigation)."""
    if not current_user.is_authenticated:
        return 0
    if "inbox_unread" not in g:
        from clientbook.conversations.threads import unread_count

        g.inbox_unread = unread_count(current_user)
    return g.inbox_unread


def init_app(app: Flask) -> None:
    from clientbook.conversations import views  # noqa: F401  (routes register on import)

    app.register_blueprint(bp)

    @app.context_processor
    def inbox_context():
        # Only pages that draw the navigation pay for the count (partials don't extend base.html,
        # and a template only calls what it uses).
        return {"inbox_unread": inbox_badge}
