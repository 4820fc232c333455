"""The Inbox: conversations newest first, one thread page, reply, assign, and filing unknown senders."""
from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager
from flask import abort, flash, redirect, request, url_for
from flask_login import current_user, login_required

from clientbook.clients.access import can_open_client, get_client_or_404, visible_clients_filter
from clientbook.clients.search import search_clients
from clientbook.contacts import normalize_phone
from clientbook.conversations import bp, threads
from clientbook.extensions import db
from clientbook.messaging import consent
from clientbook.messaging.outbox import enqueue_delivery, queue_message
from clientbook.messaging.settings import CHANNEL_LABELS
from clientbook.messaging.handoff import confirm_handoff
from clientbook.messaging.views import channel_options, message_errors, pick_channel, record_handoff
from clientbook.models import HANDOFF_CHANNELS, Client, Message, Thread, THREAD_STATES, User
from clientbook.roles import manager_required
from clientbook.search_index import refresh_search_tokens
from clientbook.shop import current_shop
from clientbook.staff import active_staff
from clientbook.web import hx_redirect, render

PAGE_SIZE = 40
FILTERS = {
    "open": ("Open", ("unread", "needs_reply")),
    "unread": ("Unread", ("unread",)),
    "needs_reply": ("Needs reply", ("needs_reply",)),
    "done": ("Done", ("done",)),
    "all": ("All", THREAD_STATES),
}
STATE_LABELS = {"unread": "Unread", "needs_reply": "Needs reply", "done": "Done"}


def get_thread_or_404(thread_id: int) -> Thread:
    """The thread, or 404; 403 when it belongs to someone else's client."""
    thread = db.session.get(Thread, thread_id)
    if thread is None:
        abort(404)
    if not threads.can_open(current_user, thread):
        abort(403)
    return thread


def _page_number() -> int:
    value = request.args.get("page", "1")
    return min(int(value), 1000) if value.isdigit() and int(value) > 0 else 1


@bp.get("/inbox")
@login_required
def inbox():
    key = request.args.get("show", "open")
    if key not in FILTERS:
        key = "open"
    page = _page_number()
    mine = request.args.get("mine") == "1"
    query = threads.visible_threads(current_user).where(Thread.state.in_(FILTERS[key][1]))
    if mine:
        query = query.where(threads.responsible_id() == current_user.id)
    rows = list(db.session.scalars(
        query.options(contains_eager(Thread.client)).order_by(Thread.last_message_at.desc(), Thread.id.desc())
        .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)
    ))
    return render("conversations/inbox.html", "thread_list", rows=rows[:PAGE_SIZE], has_more=len(rows) > PAGE_SIZE,
                  page=page, show=key, mine=mine, filters=FILTERS, state_labels=STATE_LABELS)


def _thread_context(thread: Thread, **extra) -> dict:
    client = thread.client
    options = channel_options(client) if client else []
    channel = pick_channel(client, options, extra.pop("channel", None)) if client else None
    staff = active_staff() if current_user.is_manager else []
    context = {
        "thread": thread, "client": client, "messages": threads.thread_messages(thread), "options": options,
        "channel": channel, "staff": staff, "state_labels": STATE_LABELS, "errors": {}, "body": "", "subject": "",
        "token": uuid.uuid4().hex, "channel_labels": CHANNEL_LABELS,
        "may_open_card": client is not None and can_open_client(current_user, client, current_shop()),
    }
    context.update(extra)
    return context


@bp.get("/clients/<int:client_id>/conversation")
@login_required
def for_client(client_id: int):
    """The card's Conversation link: the client's thread when there is one, else the composer."""
    client = get_client_or_404(client_id)
    thread = db.session.scalar(sa.select(Thread).where(Thread.key == f"client:{client.id}"))
    if thread is None or not threads.can_open(current_user, thread):
        return redirect(url_for("messaging.compose", client_id=client.id), 303)
    return redirect(url_for("conversations.show", thread_id=thread.id), 303)


@bp.get("/inbox/<int:thread_id>")
@login_required
def show(thread_id: int):
    thread = get_thread_or_404(thread_id)
    return render("conversations/thread.html", None, **_thread_context(thread))


@bp.post("/inbox/<int:thread_id>/read")
@login_required
def mark_read(thread_id: int):
    """Opening a thread marks it read (htmx posts this on load; a button does without htmx)."""
    thread = get_thread_or_404(thread_id)
    threads.mark_read(thread)
    db.session.commit()
    return render("conversations/thread.html", "thread_status", oob_badge=True, **_thread_context(thread))


@bp.post("/inbox/<int:thread_id>/state")
@login_required
def set_state(thread_id: int):
    thread = get_thread_or_404(thread_id)
    state = request.form.get("state", "")
    if state not in THREAD_STATES:
        abort(400)
    threads.set_state(thread, state)
    db.session.commit()
    return render("conversations/thread.html", "thread_status", oob_badge=True, **_thread_context(thread))


@bp.post("/inbox/<int:thread_id>/assign")
@manager_required
def assign(thread_id: int):
    thread = get_thread_or_404(thread_id)
    value = request.form.get("assigned_to_id", "")
    if value == "":
        thread.assigned_to_id = None
    elif value.isdigit() and db.session.scalar(sa.select(User.id).where(User.id == int(value), User.active.is_(True))):
        thread.assigned_to_id = int(value)
    else:
        abort(400)
    db.session.commit()
    return render("conversations/thread.html", "thread_status", **_thread_context(thread))


@bp.post("/inbox/<int:thread_id>/reply")
@login_required
def reply(thread_id: int):
    """Answer through the same channels, consent and quiet hours as the composer, or by hand-off."""
    thread = get_thread_or_404(thread_id)
    client = thread.client
    if client is None:
        abort(409)  # the page offers Create client / Attach first
    form = request.form
    channel, token = form.get("channel", ""), form.get("token") or uuid.uuid4().hex
    subject, body = form.get("subject", "").strip()[:200], form.get("body", "").strip()
    errors = message_errors(client, channel, subject, body)
    if "\r" in subject or "\n" in subject:
        errors["subject"] = "A subject is one line."
    if errors:
        context = _thread_context(thread, channel=channel or None, errors=errors, body=body, subject=subject,
                                  token=token)
        return render("conversations/thread.html", "reply_form", status=422, **context)
    if channel in HANDOFF_CHANNELS:
        message, link = record_handoff(client, channel, subject, body, None, None, token)
        message.purpose, message.thread_id = "reply", thread.id
        threads.note_message(thread, message, needs_answer=False)
        db.session.commit()
        return render("conversations/thread.html", "handoff_opened", status=200,
                      **_thread_context(thread, handoff=message, handoff_link=link))
    message, created = queue_message(
        client=client, channel=channel, body=body, subject=subject, purpose="reply",
        to_address=consent.address_for(client, channel) or "", user_id=current_user.id,
        idempotency_key=f"reply:{token}",
    )
    message.thread_id = thread.id
    threads.note_message(thread, message, needs_answer=False)
    db.session.commit()
    if created:
        enqueue_delivery(message.id)
    flash(f"Reply to {client.full_name} is on its way ({CHANNEL_LABELS[channel]}).", "success")
    return hx_redirect(url_for("conversations.show", thread_id=thread.id))


@bp.post("/inbox/<int:thread_id>/handoff/<int:message_id>")
@login_required
def handoff_sent(thread_id: int, message_id: int):
    """"Sent?" after a reply from the associate's own phone: No puts the thread back to answer."""
    thread = get_thread_or_404(thread_id)
    message = db.session.get(Message, message_id)
    if message is None or message.thread_id != thread.id or message.channel not in HANDOFF_CHANNELS:
        abort(404)
    sent = request.form.get("sent") != "no"
    confirm_handoff(message, sent)
    if not sent:
        threads.set_state(thread, "needs_reply")
    db.session.commit()
    return hx_redirect(url_for("conversations.show", thread_id=thread.id))


# ---- unknown senders ------------------------------------------------------------------------------

@bp.get("/inbox/<int:thread_id>/attach")
@login_required
def attach_search(thread_id: int):
    thread = get_thread_or_404(thread_id)
    q = request.args.get("q", "").strip()[:100]
    shop = current_shop()
    results = search_clients(q, country=shop.country if shop else None, per_page=10,
                             where=[visible_clients_filter(current_user, shop)]) if q else None
    return render("conversations/thread.html", "attach_results", **_thread_context(thread, q=q, results=results))


@bp.post("/inbox/<int:thread_id>/attach")
@login_required
def attach(thread_id: int):
    thread = get_thread_or_404(thread_id)
    if not thread.is_unknown:
        abort(409)
    value = request.form.get("client_id", "")
    client = db.session.get(Client, int(value)) if value.isdigit() and len(value) < 12 else None
    if client is None:
        abort(404)
    if not can_open_client(current_user, client, current_shop()):
        abort(403)
    if thread.channel == "sms" and not client.phone:
        client.phone, client.phone_valid = thread.address, thread.address.startswith("+")
    elif thread.channel == "email" and not client.email:
        client.email = thread.address
    refresh_search_tokens([client.id])
    target = threads.attach_to_client(thread, client)
    db.session.commit()
    flash(f"Conversation filed on {client.full_name}'s card.", "success")
    return hx_redirect(url_for("conversations.show", thread_id=target.id))


@bp.post("/inbox/<int:thread_id>/create-client")
@login_required
def create_client(thread_id: int):
    thread = get_thread_or_404(thread_id)
    if not thread.is_unknown:
        abort(409)
    first, last = request.form.get("first_name", "").strip()[:100], request.form.get("last_name", "").strip()[:100]
    if not (first or last):
        context = _thread_context(thread, errors={"name": "Type at least a first or last name."})
        return render("conversations/thread.html", "unknown_actions", status=422, **context)
    client = Client(first_name=first, last_name=last, assigned_to_id=current_user.id)
    if thread.channel == "email":
        client.email = thread.address
    else:
        shop = current_shop()
        client.phone, client.phone_valid = normalize_phone(thread.address, shop.country if shop else "US")
    db.session.add(client)
    db.session.flush()
    refresh_search_tokens([client.id])
    target = threads.attach_to_client(thread, client)
    db.session.commit()
    flash(f"{client.full_name} added to the client book. Consent was not recorded: ask before messaging.",
          "success")
    return hx_redirect(url_for("conversations.show", thread_id=target.id))
