"""Messages both ways on the client card's timeline."""
from __future__ import annotations

import sqlalchemy as sa

from clientbook.extensions import db
from clientbook.models import Message

def message_timeline_entries(client_id: int, limit: int | None) -> list:
    from clientbook.clients.timeline import TimelineEntry

    messages = db.session.scalars(
        sa.select(Message).where(Message.client_id == client_id)
        .order_by(Message.created_at.desc(), Message.id.desc()).limit(limit).options(sa.orm.joinedload(Message.user))
    ).all()
    return [
        TimelineEntry(when=m.sent_at or m.created_at, kind="message_in" if m.direction == "in" else "message",
                      template="messaging/_timeline_message.html", data={"message": m})
        for m in messages
    ]
