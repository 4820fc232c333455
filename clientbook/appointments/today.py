"""What Appointments and the Inbox add to the top of Today: today's appointments, reminders to
send by hand, and replies waiting. Handed to today.html by a context processor."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app

from clientbook.appointments import booking
from clientbook.appointments.reminders import reminders_by_hand
from clientbook.conversations.threads import waiting_since_cutoff, waiting_threads
from clientbook.models import User, utcnow
from clientbook.shop import current_shop, shop_today, shop_zone


def waiting_minutes() -> int:
    return int(current_app.config.get("REPLIES_WAITING_MINUTES", 30))


def replies_waiting(user: User, now=None, during_opening_hours: bool = True):
    """Unread replies that have waited N minutes of opening hours (Today), or any unread reply
    older than N minutes (the morning digest, sent as the shop opens)."""
    now = now or utcnow()
    shop = current_shop()
    if shop is None:
        return [], 0
    if during_opening_hours:
        cutoff = waiting_since_cutoff(now, shop_zone(), shop.opening_time, shop.quiet_hours_end,
                                      waiting_minutes())
    else:
        cutoff = now - timedelta(minutes=waiting_minutes())
    return waiting_threads(user, cutoff)


def today_extras(user: User, now=None) -> dict:
    now = now or utcnow()
    zone = shop_zone()
    start, end = booking.day_range(shop_today(now), 1, zone)
    waiting, waiting_total = replies_waiting(user, now)
    return {
        "appointments": booking.between(start, end, user.id), "remind_by_hand": reminders_by_hand(user, now),
        "replies_waiting": waiting, "replies_waiting_total": waiting_total, "zone": zone,
        "to_local": booking.to_local,
    }


def digest_extras(user: User, day, now=None) -> dict:
    """The morning email: the day's appointments and every reply still unread after N minutes."""
    now = now or utcnow()
    zone = shop_zone()
    start, end = booking.day_range(day, 1, zone)
    waiting, waiting_total = replies_waiting(user, now, during_opening_hours=False)
    return {"appointments": booking.between(start, end, user.id), "replies_waiting": waiting,
            "replies_waiting_total": waiting_total, "zone": zone, "to_local": booking.to_local}
