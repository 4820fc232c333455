"""Threads: one conversation per client (or per unknown sender), its state and who may see it.

Plain functions taking and returning data; the webhook, the IMAP fetch, the inbox views and
the Today list all go through them.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager

from clientbook.extensions import db
from clientbook.messaging import consent
from clientbook.models import Client, Message, Thread, User, utcnow

PREVIEW_LENGTH = 160
# A new thread's "last message" time until its first message is noted (then it moves forward).
NO_MESSAGE_YET = datetime(1970, 1, 1)


def _get_or_create(key: str, **values) -> Thread:
    thread = db.session.scalar(sa.select(Thread).where(Thread.key == key))
    if thread is not None:
        return thread
    thread = Thread(key=key, last_message_at=NO_MESSAGE_YET, **values)
    try:
        with db.session.begin_nested():
            db.session.add(thread)
    except IntegrityError:
        # The same sender's second webhook won the race: use its thread.
        thread = db.session.scalar(sa.select(Thread).where(Thread.key == key))
        if thread is None:
            raise
    return thread


def thread_for_client(client: Client) -> Thread:
    return _get_or_create(f"client:{client.id}", client_id=client.id)


def thread_for_sender(channel: str, address: str) -> Thread:
    """The "Unknown number" (or unknown email) thread of a sender that matches no client."""
    address = consent.normalized_address(channel, address) if channel == "email" else address.strip()
    return _get_or_create(f"{channel}:{address}"[:300], channel=channel, address=address)


def pick_client(clients: list[Client]) -> Client | None:
    """Several cards can share a number (a couple, a duplicate): file the reply on the live one
    most recently touched."""
    live = [c for c in clients if c.archived_at is None and c.merged_into_id is None] or clients
    return max(live, key=lambda c: (c.updated_at or datetime.min, c.id)) if live else None


def note_message(thread: Thread, message: Message, *, needs_answer: bool) -> None:
    """Bring the thread's summary up to date with a message just written to it."""
    at = message.sent_at or message.created_at or utcnow()
    if at >= thread.last_message_at:
        thread.last_message_at = at
        thread.last_direction = message.direction
        thread.last_preview = " ".join((message.subject or message.body or "").split())[:PREVIEW_LENGTH]
    if message.direction == "in" and needs_answer:
        thread.state = "unread"
        thread.unread_since = thread.unread_since or at
    elif message.direction == "out":
        thread.state, thread.unread_since = "done", None


def file_inbound(*, channel: str, sender: str, to: str, body: str, provider_id: str | None,
                 subject: str = "", needs_answer: bool = True,
                 received_at: datetime | None = None) -> Message | None:
    """Store one inbound message in its thread. None when this provider id was stored before
    (a replayed webhook, a second fetch). The caller commits."""
    if provider_id:
        seen = db.session.scalar(sa.select(Message.id).where(
            Message.direction == "in", Message.channel == channel, Message.provider_id == provider_id))
        if seen is not None:
            return None
    client = pick_client(consent.clients_with_address(channel, sender))
    thread = thread_for_client(client) if client else thread_for_sender(channel, sender)
    message = Message(
        client_id=client.id if client else None, thread_id=thread.id, direction="in", channel=channel,
        purpose="reply", from_address=sender[:254], to_address=(to or "")[:254], subject=subject[:200],
        body=body[:5000], state="received", provider_id=provider_id or None, sent_at=received_at or utcnow(),
        user_id=_last_outreach_user(client.id) if client else None,
    )
    try:
        with db.session.begin_nested():
            db.session.add(message)
    except IntegrityError:
        return None  # the same message, stored by a concurrent request a moment ago
    note_message(thread, message, needs_answer=needs_answer)
    return message


def _last_outreach_user(client_id: int) -> int | None:
    """Replies are credited to whoever last reached out to this client."""
    return db.session.scalar(
        sa.select(Message.user_id).where(Message.client_id == client_id, Message.direction == "out",
                                         Message.user_id.is_not(None))
        .order_by(Message.created_at.desc(), Message.id.desc()).limit(1)
    )


# ---- who sees what ----------------------------------------------------------------------------

def responsible_id():
    """The person a thread is for: the manager's choice, else the client's associate (SQL)."""
    return sa.func.coalesce(Thread.assigned_to_id, Client.assigned_to_id)


def visible_threads(user: User) -> sa.Select:
    """Threads this user may open: managers all; associates theirs and the unassigned ones."""
    query = sa.select(Thread).outerjoin(Client, Client.id == Thread.client_id)
    if not user.is_manager:
        owner = responsible_id()
        query = query.where(sa.or_(owner == user.id, owner.is_(None)))
    return query


def can_open(user: User, thread: Thread) -> bool:
    if user.is_manager:
        return True
    owner = thread.assigned_to_id or (thread.client.assigned_to_id if thread.client else None)
    return owner in (None, user.id)


def unread_count(user: User) -> int:
    query = visible_threads(user).where(Thread.state == "unread")
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0


def thread_messages(thread: Thread, limit: int = 200) -> list[Message]:
    """Everything said in the thread, oldest first: SMS both ways, emails, logged hand-offs."""
    if thread.client_id is not None:
        condition = sa.or_(Message.client_id == thread.client_id, Message.thread_id == thread.id)
    else:
        condition = Message.thread_id == thread.id
    newest = list(db.session.scalars(
        sa.select(Message).where(condition, Message.purpose != "test")
        .order_by(Message.created_at.desc(), Message.id.desc()).limit(limit)))
    return newest[::-1]


# ---- state changes ---------------------------------------------------------------------------

def mark_read(thread: Thread) -> None:
    if thread.state == "unread":
        thread.state, thread.unread_since = "needs_reply", None


def set_state(thread: Thread, state: str) -> None:
    thread.state = state
    thread.unread_since = (thread.unread_since or utcnow()) if state == "unread" else None


def attach_to_client(thread: Thread, client: Client) -> Thread:
    """File an unknown sender's thread on a client card: its messages join the client's thread."""
    target = thread_for_client(client)
    db.session.execute(sa.update(Message).where(Message.thread_id == thread.id)
                       .values(client_id=client.id, thread_id=target.id)
                       .execution_options(synchronize_session=False))
    if thread.last_message_at > target.last_message_at:
        target.last_message_at, target.last_preview = thread.last_message_at, thread.last_preview
        target.last_direction = thread.last_direction
    if thread.state == "unread" or target.state == "unread":
        target.state = "unread"
        target.unread_since = min(t for t in (thread.unread_since, target.unread_since, utcnow()) if t)
    elif "needs_reply" in (thread.state, target.state):
        target.state = "needs_reply"
    target.assigned_to_id = target.assigned_to_id or thread.assigned_to_id
    if target.id != thread.id:
        db.session.delete(thread)
    return target


# ---- replies waiting (Today and the digest) ------------------------------------------------------

def waiting_since_cutoff(now_utc: datetime, zone, opening, closing, minutes: int) -> datetime | None:
    """Replies unread since before this instant have waited `minutes` of opening hours.

    None outside opening hours: a reply at night waits for the morning. Only today's opening
    hours count, so a reply that came in overnight is "waiting" `minutes` after opening.
    """
    local = now_utc.replace(tzinfo=timezone.utc).astimezone(zone)
    if not (opening <= local.time().replace(tzinfo=None) < closing):
        return None
    opened_today = datetime.combine(local.date(), opening, tzinfo=zone).astimezone(timezone.utc).replace(tzinfo=None)
    cutoff = now_utc - timedelta(minutes=minutes)
    return cutoff if cutoff >= opened_today else None


def waiting_threads(user: User, cutoff: datetime | None, limit: int = 10) -> tuple[list[Thread], int]:
    if cutoff is None:
        return [], 0
    # One statement: the first rows with the total counted over the whole match (a window), and
    # each thread's client read from the join visible_threads already makes (no query per row).
    query = (visible_threads(user).where(Thread.state == "unread", Thread.unread_since <= cutoff)
             .add_columns(sa.func.count().over().label("total")).options(contains_eager(Thread.client))
             .order_by(Thread.unread_since, Thread.id).limit(limit))
    found = db.session.execute(query).all()
    return [row[0] for row in found], (found[0].total if found else 0)
