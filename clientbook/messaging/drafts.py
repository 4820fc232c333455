"""Turning a template into the words a client will read, and picking the default template."""
from __future__ import annotations

import sqlalchemy as sa

from clientbook.extensions import db
from clientbook.models import Client, MessageTemplate, Shop, User
from clientbook.placeholders import fill_placeholders, placeholder_values

FALLBACK_BODY = "Hello {first_name}, it's {associate_first_name} from {shop_name}. "
# Which template channel a message channel draws its text from.
TEMPLATE_CHANNEL = {"sms": "sms", "handoff_sms": "sms", "whatsapp": "sms", "email": "email", "handoff_email": "email"}


def render_text(text: str, client: Client | None, associate: User | None, shop: Shop | None,
                date_label: str = "") -> str:
    return fill_placeholders(text, placeholder_values(client, associate, shop, date_label))


def templates_for(channel: str) -> list[MessageTemplate]:
    wanted = TEMPLATE_CHANNEL.get(channel, channel)
    return list(db.session.scalars(
        sa.select(MessageTemplate).where(MessageTemplate.active.is_(True), MessageTemplate.channel == wanted)
        .order_by(MessageTemplate.name, MessageTemplate.id)
    ))


def default_template(channel: str) -> MessageTemplate | None:
    found = templates_for(channel)
    return found[0] if found else None
