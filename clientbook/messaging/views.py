"""Compose a message to one client, hand it off to the associate's own app, or queue it for a provider."""
from __future__ import annotations

import uuid

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user, login_required

from clientbook.clients.access import get_client_or_404
from clientbook.extensions import db
from clientbook.messaging import bp, consent
from clientbook.messaging.drafts import choose_draft, ensure_check_in_template, missing_for, templates_for
from clientbook.messaging.handoff import HANDED_OFF, close_reminder_by_message, confirm_handoff, handoff_link
from clientbook.messaging.outbox import enqueue_delivery, mark_checked, queue_message
from clientbook.messaging.settings import CARD_CHANNELS, CHANNEL_LABELS, channel_options, enabled_channels
from clientbook.messaging.sms_length import sms_length
from clientbook.models import HANDOFF_CHANNELS, Client, Message, MessageTemplate, Reminder, utcnow
from clientbook.placeholders import fill_placeholders, placeholder_values
from clientbook.reminders.actions import may_act_on
from clientbook.reminders.wording import occasion_label
from clientbook.reminders.today import open_for_client
from clientbook.shop import current_shop, shop_today
from clientbook.web import htmx_only, hx_redirect, render, safe_next, wants_partial

PREFERRED_TO_CHANNEL = {"sms": ("sms", "handoff_sms"), "email": ("email", "handoff_email"),
                        "whatsapp": ("whatsapp",), "phone": ("handoff_sms",)}


def pick_channel(client: Client, options: list[dict], wanted: str | None) -> str | None:
    usable = [o["channel"] for o in options if o["problem"] is None]
    if wanted in usable:
        return wanted
    for candidate in PREFERRED_TO_CHANNEL.get(client.preferred_channel or "", ()):
        if candidate in usable:
            return candidate
    return usable[0] if usable else (options[0]["channel"] if options else None)


def _reminder(client: Client, reminder_id: str | None) -> Reminder | None:
    """The reminder being worked on: it must be this client's and one the user may act on (else 404)."""
    if not reminder_id:
        return None
    reminder = db.session.get(Reminder, int(reminder_id)) if str(reminder_id).isdigit() and len(str(reminder_id)) < 16 else None
    if reminder is None or reminder.client_id != client.id or not may_act_on(current_user, reminder):
        abort(404)
    return reminder


def due_reminder(client: Client) -> Reminder | None:
    """The signed-in user's reminder for this client that is due (today or overdue): what a one-tap answers."""
    today = shop_today()
    return next((r for r in open_for_client(client.id)
                 if r.owner_id == current_user.id and r.action_date <= today), None)


def _compose_context(client: Client, channel: str | None, template_id: str | None, reminder,
                     subject: str | None = None, body: str | None = None, errors: dict | None = None,
                     token: str | None = None) -> dict:
    options = channel_options(client)
    channel = pick_channel(client, options, channel)
    shop = current_shop()
    draft = choose_draft(client, current_user, shop, shop_today(), reminder)
    values = placeholder_values(client, current_user, shop, occasion_label(reminder) if reminder else "")
    # A template that can't be filled for this client stays listed, marked with what it lacks.
    templates = [(t, missing_for(t, values)) for t in (templates_for(channel) if channel else [])]
    template = None
    if template_id and str(template_id).isdigit():
        template = next((t for t, missing in templates if t.id == int(template_id)), None)
    if body is None:
        if template is None:
            subject, body = draft.subject, draft.body
        else:
            subject = fill_placeholders(template.subject or template.name, values).strip()
            body = fill_placeholders(template.body, values).strip()
    option = next((o for o in options if o["channel"] == channel), None)
    return {
        "client": client, "options": options, "channel": channel, "option": option,
        "templates": templates, "chosen_template": template or draft.template, "reminder": reminder,
        "why": draft.why if template is None else "", "today": shop_today(),
        "subject": subject or "", "body": body or "", "errors": errors or {},
        "token": token or uuid.uuid4().hex, "length": sms_length(body or ""),
        "is_email": channel in ("email", "handoff_email"), "is_handoff": channel in HANDOFF_CHANNELS,
        "address": consent.address_for(client, channel) if channel else None,
    }


@bp.get("/clients/<int:client_id>/message")
@login_required
def compose(client_id: int):
    client = get_client_or_404(client_id)
    context = _compose_context(client, request.args.get("channel"), request.args.get("template_id"),
                               _reminder(client, request.args.get("reminder_id")))
    return render("messaging/compose.html", "draft", **context)


def message_errors(client: Client, channel: str, subject: str, body: str) -> dict:
    """What is wrong with a message about to go to `client`, per form field (empty when nothing)."""
    errors = {}
    if channel not in enabled_channels():
        errors["channel"] = "Pick one of the shop's channels."
    elif consent.why_not(client, channel):
        errors["channel"] = consent.why_not(client, channel)
    if not body:
        errors["body"] = "Write a message first."
    elif len(body) > 5000:
        errors["body"] = "That is too long for one message (5000 characters at most)."
    if channel == "email" and not subject:
        errors["subject"] = "An email needs a subject."
    elif "\r" in subject or "\n" in subject:
        errors["subject"] = "A subject is one line: remove the line break."
    return errors


@bp.post("/clients/<int:client_id>/message")
@login_required
def send(client_id: int):
    client = get_client_or_404(client_id)
    form = request.form
    channel = form.get("channel", "")
    reminder = _reminder(client, form.get("reminder_id"))
    subject, body = form.get("subject", "").strip(), form.get("body", "").strip()
    token = form.get("token") or uuid.uuid4().hex
    errors = message_errors(client, channel, subject, body)
    if errors:
        context = _compose_context(client, channel, form.get("template_id"), reminder, subject, body, errors, token)
        return render("messaging/compose.html", "draft", status=422, **context)
    template_id = int(form["template_id"]) if form.get("template_id", "").isdigit() else None
    if channel in HANDOFF_CHANNELS:
        message, link = record_handoff(client, channel, subject, body, template_id,
                                       reminder.id if reminder else None, token)
        return render("messaging/handoff_open.html", "opened", client=client, message=message, link=link,
                      reminder=reminder)
    message, created = queue_message(
        client=client, channel=channel, body=body, subject=subject,
        to_address=consent.address_for(client, channel) or "", user_id=current_user.id,
        purpose="reminder" if reminder else "manual", idempotency_key=f"manual:{token}",
        template_id=template_id, reminder_id=reminder.id if reminder else None,
    )
    close_reminder_by_message(reminder, channel, current_user, shop_today())
    db.session.commit()
    if created:
        enqueue_delivery(message.id)
    flash(f"Message to {client.full_name} is on its way ({CHANNEL_LABELS[channel]}).", "success")
    return hx_redirect(url_for("clients.card", client_id=client.id))


def record_handoff(client: Client, channel: str, subject: str, body: str, template_id: int | None,
                   reminder_id: int | None, token: str | None) -> tuple[Message, str]:
    """Log a hand-off the moment it is tapped and build the link that opens the associate's app.

    It stays "handed_off" until the associate answers "Sent?". A reminder it answers is closed.
    """
    address = consent.address_for(client, channel) or ""
    message, created = queue_message(
        client=client, channel=channel, body=body, subject=subject, to_address=address,
        user_id=current_user.id, purpose="reminder" if reminder_id else "manual",
        idempotency_key=f"handoff:{token}" if token else None, template_id=template_id, reminder_id=reminder_id,
    )
    if message.state == "queued":
        message.state = HANDED_OFF
    if created and reminder_id:
        close_reminder_by_message(db.session.get(Reminder, reminder_id), channel, current_user, shop_today())
    db.session.commit()
    return message, handoff_link(channel, address, subject, body)


def _opened(client: Client, message: Message, link: str):
    reminder = db.session.get(Reminder, message.reminder_id) if message.reminder_id else None
    return render("messaging/handoff_open.html", "opened", client=client, message=message, link=link,
                  reminder=reminder)


@bp.post("/clients/<int:client_id>/handoff/<channel>")
@login_required
def handoff(client_id: int, channel: str):
    """The card's Text / Email / WhatsApp buttons: the draft that fits the moment, straight to the app."""
    client = get_client_or_404(client_id)
    if channel not in HANDOFF_CHANNELS or channel not in enabled_channels():
        abort(404)
    problem = consent.why_not(client, channel)
    if problem:
        return render("messaging/_card_actions.html", None, status=422, client=client, problem=problem,
                      channels=channel_options(client, CARD_CHANNELS))
    ensure_check_in_template()
    reminder = due_reminder(client)
    draft = choose_draft(client, current_user, current_shop(), shop_today(), reminder)
    message, link = record_handoff(client, channel, draft.subject, draft.body,
                                   draft.template.id if draft.template else None,
                                   reminder.id if reminder else None, request.form.get("token"))
    return _opened(client, message, link)


@bp.post("/messaging/messages/<int:message_id>/sent")
@login_required
def handoff_answer(message_id: int):
    """The answer to "Sent?" after a hand-off: Sent counts for results, Not sent does not."""
    message = db.session.get(Message, message_id)
    if message is None or message.client_id is None or message.channel not in HANDOFF_CHANNELS:
        abort(404)
    client = get_client_or_404(message.client_id)
    if message.user_id != current_user.id and not current_user.is_manager:
        abort(404)
    answer = request.form.get("sent", "")
    if answer not in ("yes", "no"):
        abort(400)
    reminder = db.session.get(Reminder, message.reminder_id) if message.reminder_id else None
    confirm_handoff(message, answer == "yes", reminder)
    db.session.commit()
    if wants_partial():
        return render("messaging/handoff_open.html", "answered", client=client, message=message, reminder=reminder)
    return redirect(safe_next(request.form.get("next"), url_for("clients.card", client_id=client.id)), 303)


@bp.get("/clients/<int:client_id>/message/length")
@login_required
@htmx_only
def length(client_id: int):
    get_client_or_404(client_id)
    return render("messaging/compose.html", "length", length=sms_length(request.args.get("body", "")))


@bp.post("/messaging/messages/<int:message_id>/checked")
@login_required
def message_checked(message_id: int):
    """Resolve an "unknown" message after checking with the provider (or the client)."""
    message = db.get_or_404(Message, message_id)
    if message.client_id is not None:
        get_client_or_404(message.client_id)
    elif not current_user.is_manager:
        abort(403)
    mark_checked(message, request.form.get("state", ""))
    flash("Thanks, the message is marked as " + ("sent." if message.state == "sent" else "not sent."), "success")
    return redirect(safe_next(request.form.get("next"), url_for("messaging.channels")), 303)
