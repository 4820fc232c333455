"""Client reminders before an appointment: through the outbox when the client can be reached
automatically, otherwise a "Remind Nora about tomorrow 11:00" row on the associate's Today."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from clientbook.appointments.booking import DueReminder, due_reminders, reminder_text, when_words
from clientbook.extensions import db
from clientbook.messaging import consent
from clientbook.messaging.outbox import enqueue_delivery, queue_message
from clientbook.messaging.settings import channel_enabled, messaging_settings
from clientbook.models import Appointment, Client, Message, User, utcnow
from clientbook.shop import current_shop, shop_zone


def automatic_channel(client: Client) -> str | None:
    """A provider channel the shop has switched on and the client consented to, preferred first."""
    settings = messaging_settings()
    order = ("sms", "email") if client.preferred_channel != "email" else ("email", "sms")
    for channel in order:
        if channel_enabled(channel, settings) and consent.why_not(client, channel) is None:
            return channel
    return None


def handoff_key(appointment_id: int) -> str:
    """The token of the hand-off message that reminded the client by hand (record_handoff's key)."""
    return f"appointment-{appointment_id}"


def send_due_reminders(now: datetime | None = None) -> dict:
    """Queue every reminder that is due (once each: the idempotency key names appointment and offset)."""
    now = now or utcnow()
    shop = current_shop()
    zone = shop_zone()
    queued = by_hand = 0
    for due in due_reminders(now, zone):
        client = due.appointment.client
        channel = automatic_channel(client)
        if channel is None:
            by_hand += 1
            continue
        message, created = queue_message(
            client=client, channel=channel, purpose="appointment", idempotency_key=due.key,
            to_address=consent.address_for(client, channel) or "",
            subject=f"Your appointment at {shop.name}" if shop else "Your appointment",
            body=reminder_text(due.appointment, shop.name if shop else "the shop", zone, now),
        )
        db.session.commit()
        if created:
            enqueue_delivery(message.id)
            queued += 1
    return {"queued": queued, "by_hand": by_hand}


def reminders_by_hand(user: User, now: datetime | None = None) -> list[tuple[Appointment, str]]:
    """This associate's appointments whose client must be reminded by hand, with the row's wording."""
    now = now or utcnow()
    zone = shop_zone()
    rows = [d for d in due_reminders(now, zone, user.id) if automatic_channel(d.appointment.client) is None]
    if not rows:
        return []
    done = set(db.session.scalars(sa.select(Message.idempotency_key).where(
        Message.idempotency_key.in_([f"handoff:{handoff_key(d.appointment.id)}" for d in rows]),
        Message.state != "failed")))
    return [(d.appointment, _row_text(d, zone, now)) for d in rows
            if f"handoff:{handoff_key(d.appointment.id)}" not in done]


def _row_text(due: DueReminder, zone, now: datetime) -> str:
    client = due.appointment.client
    return f"Remind {client.first_name or client.full_name} about {when_words(due.appointment.starts_at, zone, now)}"
