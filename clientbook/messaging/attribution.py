"""Which sales an outreach earned: a purchase within N days after it is credited to it and its sender.

Computed by query each time (nothing stored), so changing Shop.attribution_days re-credits history.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from clientbook.extensions import db
from clientbook.models import Message, Purchase

# Messages that reached (or very likely reached) the client.
COUNTED_STATES = ("sent", "delivered", "unknown")


@dataclass(frozen=True)
class AttributedSale:
    purchase_id: int
    client_id: int
    purchased_on: date
    total_cents: int
    message_id: int
    user_id: int | None


def outreach_filter():
    return sa.and_(Message.direction == "out", Message.state.in_(COUNTED_STATES), Message.purpose != "test")


def attributed_sales(start: date, end: date, days: int) -> list[AttributedSale]:
    """Purchases made between start and end (inclusive) that followed an outreach within `days` days.

    The most recent outreach before the purchase gets the credit (one outreach per purchase).
    """
    purchases = db.session.execute(
        sa.select(Purchase.id, Purchase.client_id, Purchase.purchased_on, Purchase.total_cents)
        .where(Purchase.purchased_on >= start, Purchase.purchased_on <= end)
    ).all()
    if not purchases:
        return []
    client_ids = {p.client_id for p in purchases}
    window_start = datetime.combine(start - timedelta(days=days), time.min)
    window_end = datetime.combine(end + timedelta(days=1), time.min)
    outreaches: dict[int, list[tuple[date, int, int | None]]] = defaultdict(list)
    for chunk_start in range(0, len(client_ids), 500):
        chunk = list(client_ids)[chunk_start:chunk_start + 500]
        for row in db.session.execute(
            sa.select(Message.id, Message.client_id, Message.user_id, Message.sent_at, Message.created_at)
            .where(outreach_filter(), Message.client_id.in_(chunk),
                   sa.func.coalesce(Message.sent_at, Message.created_at) >= window_start,
                   sa.func.coalesce(Message.sent_at, Message.created_at) < window_end)
        ):
            outreaches[row.client_id].append(((row.sent_at or row.created_at).date(), row.id, row.user_id))
    credited = []
    for purchase in purchases:
        candidates = [o for o in outreaches.get(purchase.client_id, ())
                      if purchase.purchased_on - timedelta(days=days) <= o[0] <= purchase.purchased_on]
        if not candidates:
            continue
        when, message_id, user_id = max(candidates, key=lambda o: (o[0], o[1]))
        credited.append(AttributedSale(purchase.id, purchase.client_id, purchase.purchased_on,
                                       purchase.total_cents or 0, message_id, user_id))
    return credited
