"""Inbox, week view and calendar feed on the reference book plus 5 000 threads and 2 000 appointments."""
from __future__ import annotations

import random
from datetime import timedelta

from bench.registry import prepare, request

THREADS = 5_000
APPOINTMENTS = 2_000
FEED_TOKEN = "bench-calendar-feed-token-0123456789abcdef"


@prepare
def add_threads_and_appointments(ctx) -> None:
    import sqlalchemy as sa

    from clientbook.extensions import db
    from clientbook.models import Appointment, CalendarFeed, Client, Message, Thread, User, utcnow

    rng = random.Random(11)
    with ctx.app().app_context():
        busiest = db.session.scalar(sa.select(User.id).where(User.email == ctx.info.busiest_associate_email))
        associates = list(db.session.scalars(sa.select(User.id).where(User.email.like("associate%"))))
        max_client = db.session.scalar(sa.select(sa.func.max(Client.id)))
        mine = list(db.session.scalars(sa.select(Client.id).where(Client.assigned_to_id == busiest).limit(2_000)))
        now = utcnow()
        client_ids = rng.sample(range(1, max_client + 1), min(THREADS, max_client))
        # A fifth of the threads are the busiest associate's clients, as at a busy counter.
        client_ids = list(dict.fromkeys(mine[: THREADS // 5] + client_ids))[:THREADS]
        threads, messages = [], []
        for number, client_id in enumerate(client_ids, start=1):
            at = now - timedelta(minutes=rng.randrange(5, 60 * 24 * 60))
            state = rng.choices(("unread", "needs_reply", "done"), (1, 2, 7))[0]
            threads.append({"id": number, "key": f"client:{client_id}", "client_id": client_id, "channel": "sms",
                            "address": "", "state": state, "unread_since": at if state == "unread" else None,
                            "last_message_at": at, "last_direction": "in", "last_preview": "Thank you, see you soon!",
                            "created_at": at})
            messages.append({"client_id": client_id, "direction": "in", "channel": "sms", "purpose": "reply",
                             "to_address": "", "from_address": "", "subject": "", "body": "Thank you, see you soon!",
                             "state": "received", "error": "", "provider_id": f"SMbench{number:06d}",
                             "thread_id": number, "attempts": 0, "sent_at": at, "created_at": at, "updated_at": at})
        db.session.execute(sa.insert(Thread), threads)
        db.session.execute(sa.insert(Message), messages)
        appointments = []
        for _ in range(APPOINTMENTS):
            # The busiest associate has a quarter of them: a full diary for the feed and the week view.
            associate = busiest if rng.random() < 0.25 else rng.choice(associates)
            starts = now.replace(minute=0, second=0, microsecond=0) + timedelta(
                days=rng.randrange(-30, 60), hours=rng.randrange(-6, 6))
            appointments.append({"client_id": rng.randint(1, max_client), "associate_id": associate,
                                 "starts_at": starts, "duration_minutes": rng.choice((30, 45, 60)),
                                 "purpose": rng.choice(("fitting", "consultation", "collection")), "notes": "",
                                 "created_at": now, "updated_at": now})
        db.session.execute(sa.insert(Appointment), appointments)
        db.session.add(CalendarFeed(user_id=busiest, token=FEED_TOKEN))
        db.session.commit()
        db.session.remove()


@request("inbox", "Inbox (busy associate, 5 000 threads)", session="associate", budget_ms=30, budget_vs_floor=12)
def inbox_paths(ctx):
    return ["/inbox", "/inbox?show=all", "/inbox?show=unread", "/inbox?show=all&page=2"]


@request("week_view", "appointments week view (2 000 appointments)", session="associate", budget_ms=30,
         budget_vs_floor=12)
def week_view_paths(ctx):
    return ["/appointments", "/appointments?who=shop", "/appointments?view=day&who=shop"]


@request("calendar_feed", "calendar feed, 90 days (busy associate)", session=None, budget_ms=100)
def calendar_feed_paths(ctx):
    return [f"/calendar/{FEED_TOKEN}.ics"]
