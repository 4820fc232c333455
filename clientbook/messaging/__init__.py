"""Outreach: message templates, channels (hand-off, SMTP, Twilio), the outbox, campaigns and results."""
from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("messaging", __name__)


def init_app(app: Flask) -> None:
    from clientbook.extensions import csrf
    from clientbook.messaging import (  # noqa: F401  (routes register on import)
        campaigns_views, channels_views, dashboard, templates_views, views,
    )
    from clientbook.messaging.webhooks import bp as public_bp

    app.register_blueprint(bp)
    # Mail apps (one-click unsubscribe) and Twilio carry no session and no CSRF token;
    # the unsubscribe token is signed and every webhook must carry Twilio's signature.
    csrf.exempt(public_bp)
    app.register_blueprint(public_bp)
    app.jinja_env.globals.setdefault("sms_length", _sms_length)
    from clientbook.contacts import format_phone

    app.jinja_env.filters.setdefault("phone_display", format_phone)
    _register_timeline_source()
    from clientbook import signals

    signals.clients_merged.connect(_on_clients_merged)


def _sms_length(text: str):
    from clientbook.messaging.sms_length import sms_length

    return sms_length(text)


def _on_clients_merged(sender, kept_id=None, merged_ids=None, **_):
    """Merged duplicates keep their conversations: messages move to the card that stays."""
    import sqlalchemy as sa

    from clientbook.extensions import db
    from clientbook.models import Message

    if kept_id and merged_ids:
        db.session.execute(sa.update(Message).where(Message.client_id.in_(merged_ids))
                           .values(client_id=kept_id).execution_options(synchronize_session=False))


def _register_timeline_source() -> None:
    from clientbook.clients.timeline import register_timeline_source
    from clientbook.messaging.timeline import message_timeline_entries

    register_timeline_source(message_timeline_entries)
