"""Turning a template into the words a client will read, and picking the default template."""
from __future__ import annotations

import sqlalchemy as sa

from clientbook.extensions import db
from clientbook.models import Client, MessageTemplate, Purchase, PurchaseItem, Shop, User
from clientbook.placeholders import fill_placeholders

FALLBACK_BODY = "Hello {first_name}, it's {associate_first_name} from {shop_name}. "
# Which template channel a message channel draws its text from.
TEMPLATE_CHANNEL = {"sms": "sms", "handoff_sms": "sms", "whatsapp": "sms", "email": "email", "handoff_email": "email"}


def last_item_description(client_id: int) -> str:
    return db.session.scalar(
        sa.select(PurchaseItem.description).join(Purchase, Purchase.id == PurchaseItem.purchase_id)
        .where(Purchase.client_id == client_id)
        .order_by(Purchase.purchased_on.desc(), Purchase.id.desc(), PurchaseItem.id).limit(1)
    ) or ""


def placeholder_values(client: Client | None, associate: User | None, shop: Shop | None,
                       date_label: str = "") -> dict[str, str]:
    # The assigned associate signs the message when the sender is not known (automated sends).
    signer = associate or (client.assigned_to if client is not None else None)
    return {
        "first_name": (client.first_name if client else "") or "",
        "last_name": (client.last_name if client else "") or "",
        "full_name": f"{client.first_name} {client.last_name}".strip() if client else "",
        "associate_first_name": signer.first_name if signer else "",
        "shop_name": shop.name if shop else "",
        "date_label": date_label or "",
        "last_item": last_item_description(client.id) if client is not None and client.id else "",
    }


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
