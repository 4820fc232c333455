"""Demo conversations and appointments for the demo book: replies (some unread), a couple of texts
from unknown numbers, and appointments over the coming two weeks in opening hours."""
from __future__ import annotations

import random
from datetime import date, time, timedelta

from clientbook.appointments.booking import to_utc
from clientbook.conversations.threads import file_inbound, note_message, thread_for_client
from clientbook.extensions import db
from clientbook.models import APPOINTMENT_PURPOSES, Appointment, Client, Message, User, utcnow
from clientbook.shop import shop_zone

OUR_TEXTS = (
    "Hello {first}, your ring is resized and ready to collect whenever suits you.",
    "Hello {first}, the Seamaster you asked about has just come in. Shall I keep it aside?",
    "Hello {first}, a little reminder that your pearls are back from restringing.",
    "Hello {first}, we have new pieces from the autumn collection. Would you like a preview?",
)
REPLIES = (
    "Wonderful, I'll come by on Saturday morning!", "Yes please, keep it for me until Friday.",
    "Thank you! Could I come at lunchtime tomorrow?", "Lovely. What are your opening hours on Sunday?",
    "Merci ! Is it possible to have it gift wrapped?", "Perfect, see you soon.",
)
UNKNOWN = (("+33 6 98 76 54 32", "Hello, do you resize rings bought elsewhere?"),
           ("+33 7 11 22 33 44", "Hi! A friend recommended you. Do you buy back old gold?"))


def seed_demo_conversations(clients: list[Client], associates: list[User], today: date) -> None:
    rng = random.Random(4242)
    now = utcnow()
    texted = [c for c in clients if c.phone and c.phone_valid][:14]
    for index, client in enumerate(texted):
        sent_at = now - timedelta(hours=rng.randrange(3, 72))
        out = Message(client_id=client.id, user_id=client.assigned_to_id, direction="out", channel="handoff_sms",
                      purpose="manual", to_address=client.phone, body=rng.choice(OUR_TEXTS).format(first=client.first_name),
                      state="sent", sent_at=sent_at, created_at=sent_at)
        db.session.add(out)
        received = sent_at + timedelta(minutes=rng.randrange(5, 90))
        file_inbound(channel="sms", sender=client.phone, to="", body=rng.choice(REPLIES),
                     provider_id=f"SMdemo{client.id:06d}", received_at=min(received, now))
        thread = thread_for_client(client)
        if index % 3 == 1:
            thread.state, thread.unread_since = "needs_reply", None  # opened, not answered yet
        elif index % 3 == 2:
            answer = Message(client_id=client.id, user_id=client.assigned_to_id, direction="out",
                             channel="handoff_sms", purpose="reply", to_address=client.phone, state="sent",
                             body="Of course, see you then!", sent_at=min(received + timedelta(minutes=20), now),
                             created_at=min(received + timedelta(minutes=20), now), thread_id=thread.id)
            db.session.add(answer)
            note_message(thread, answer, needs_answer=False)
    for number, body in UNKNOWN:
        file_inbound(channel="sms", sender=number.replace(" ", ""), to="", body=body,
                     provider_id=f"SMdemo-unknown-{number[-2:]}", received_at=now - timedelta(hours=rng.randrange(1, 20)))
    _appointments(clients, associates, today, rng)


def _appointments(clients: list[Client], associates: list[User], today: date, rng: random.Random) -> None:
    if not associates:
        return
    zone = shop_zone()
    slots = set()
    for _ in range(24):
        day = today + timedelta(days=rng.randrange(0, 14))
        associate = rng.choice(associates)
        hour = rng.choice((10, 11, 12, 14, 15, 16, 17))
        if (day, associate.id, hour) in slots or day.weekday() == 6:  # one per hour each; closed on Sunday
            continue
        slots.add((day, associate.id, hour))
        client = rng.choice(clients)
        db.session.add(Appointment(
            client_id=client.id, associate_id=associate.id, starts_at=to_utc(day, time(hour), zone),
            duration_minutes=rng.choice((30, 30, 45, 60)), purpose=rng.choice(APPOINTMENT_PURPOSES[:4]),
            notes=rng.choice(("", "", "Bring the original receipt.", "Coming with her partner.")),
            created_by_id=associate.id, created_at=utcnow() - timedelta(days=3)))
