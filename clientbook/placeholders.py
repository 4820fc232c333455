"""Message placeholders like {first_name}: the allowed set, validation and filling-in.

Used by message templates (outreach), reminder drafts and campaigns alike.
"""
from __future__ import annotations

import re

import sqlalchemy as sa

from clientbook.extensions import db
from clientbook.models import Client, Purchase, PurchaseItem, Shop, User

PLACEHOLDERS = {
    "first_name": "The client's first name",
    "last_name": "The client's last name",
    "full_name": "The client's full name",
    "associate_first_name": "The assigned associate's first name",
    "shop_name": "The shop's name",
    "date_label": "The occasion, e.g. \"Anna's birthday\"",
    "last_item": "The last item the client bought",
    # Filled in for messages about a job (see clientbook.jobs.messages); empty elsewhere.
    "job_title": "The job, e.g. \"Resize ring to 6½\"",
    "ticket": "The job's ticket number",
    "due_date": "The job's due date",
    "balance_due": "What the client still owes on the job",
}

_FIELD = re.compile(r"\{([^{}]*)\}")


def unknown_placeholders(text: str) -> list[str]:
    """Names in {braces} that are not placeholders, in order of appearance, without repeats."""
    seen: list[str] = []
    for name in _FIELD.findall(text or ""):
        if name.strip() not in PLACEHOLDERS and name not in seen:
            seen.append(name)
    return seen


def fill_placeholders(text: str, values: dict[str, str]) -> str:
    """Replace known placeholders; unknown ones are left as typed (they are rejected when saving)."""

    def replace(match: re.Match) -> str:
        name = match.group(1).strip()
        return str(values.get(name, "")) if name in PLACEHOLDERS else match.group(0)

    return _FIELD.sub(replace, text or "")


def last_item_description(client_id: int) -> str:
    return db.session.scalar(
        sa.select(PurchaseItem.description).join(Purchase, Purchase.id == PurchaseItem.purchase_id)
        .where(Purchase.client_id == client_id)
        .order_by(Purchase.purchased_on.desc(), Purchase.id.desc(), PurchaseItem.id).limit(1)
    ) or ""


def placeholder_values(client: Client | None, associate: User | None, shop: Shop | None,
                       date_label: str = "") -> dict[str, str]:
    """What each placeholder stands for in a message to `client` signed by `associate`."""
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
