"""Compose a message to one client, hand it off to the associate's own app, or queue it for a provider."""
from __future__ import annotations

import uuid

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user, login_required

from clientbook.clients.access import get_client_or_404
from clientbook.extensions import db
from clientbook.messaging import bp, consent
from clientbook.messaging.drafts import default_template, render_text, templates_for
from clientbook.messaging.handoff import handoff_link
from clientbook.messaging.outbox import enqueue_delivery, mark_checked, queue_message
from clientbook.messaging.settings import CHANNEL_LABELS, enabled_channels
from clientbook.messaging.sms_length import sms_length
from clientbook.models import HANDOFF_CHANNELS, Client, Message, MessageTemplate, Reminder, utcnow
from clientbook.reminders.actions import may_act_on
from clientbook.reminders.drafts import draft_for_reminder
from clientbook.reminders.wording import occasion_label
from clientbook.shop import current_shop
from clientbook.web import hx_redirect, render

CHANNEL_ORDER = ("handoff_sms", "whatsapp", "handoff_email", "sms", "email")
PREFERRED_TO_CHANNEL = {"sms": ("sms", "handoff_sms"), "email": ("email", "handoff_email"),
                        "whatsapp": ("whatsapp",), "phone": ("handoff_sms",)}


def channel_options(client: Client) -> list[dict]:
    """Every channel the shop offers, with why it can't be used for this client (if so)."""
    enabled = enabled_channels()
    return [{"channel": c, "label": CHANNEL_LABELS[c], "problem": consent.why_not(client, c)}
            for c in CHANNEL_ORDER if c in enabled]


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


def initial_draft(client: Client, channel: str, template: MessageTemplate | None, reminder) -> tuple[str, str]:
    if reminder is not None and reminder.client_id == client.id and template is None:
        return draft_for_reminder(reminder)
    shop = current_shop()
    if template is None:
        from clientbook.messaging.drafts import FALLBACK_BODY

        return "", render_text(FALLBACK_BODY, client, current_user, shop).strip()
    date_label = occasion_label(reminder) if reminder is not None else ""
    subject = render_text(template.subject or template.name, client, current_user, shop, date_label)
    return subject.strip(), render_text(template.body, client, current_user, shop, date_label).strip()


def _compose_context(client: Client, channel: str | None, template_id: str | None, reminder,
                     subject: str | None = None, body: str | None = None, errors: dict | None = None,
                     token: str | None = None) -> dict:
    options = channel_options(client)
    channel = pick_channel(client, options, channel)
    templates = templates_for(channel) if channel else []
    template = None
    if template_id and str(template_id).isdigit():
        template = next((t for t in templates if t.id == int(template_id)), None)
    elif reminder is None and templates:
        template = templates[0]
    if reminder is not None and template is None and reminder.rule is not None:
        template = next((t for t in templates if t.id == reminder.rule.message_template_id), None)
    if body is None:
        subject, body = initial_draft(client, channel or "handoff_sms", template, reminder)
    option = next((o for o in options if o["channel"] == channel), None)
    return {
        "client": client, "options": options, "channel": channel, "option": option,
        "templates": templates, "chosen_template": template, "reminder": reminder,
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
    db.session.commit()
    if created:
        enqueue_delivery(message.id)
    flash(f"Message to {client.full_name} is on its way ({CHANNEL_LABELS[channel]}).", "success")
    return hx_redirect(url_for("clients.card", client_id=client.id))


def record_handoff(client: Client, channel: str, subject: str, body: str, template_id: int | None,
                   reminder_id: int | None, token: str | None) -> tuple[Message, str]:
    """Log a hand-off as sent (the associate's own app does the sending) and build the link."""
    address = consent.address_for(client, channel) or ""
    message, _created = queue_message(
        client=client, channel=channel, body=body, subject=subject, to_address=address,
        user_id=current_user.id, purpose="reminder" if reminder_id else "manual",
        idempotency_key=f"handoff:{token}" if token else None, template_id=template_id, reminder_id=reminder_id,
    )
    if message.state == "queued":
        message.state, message.sent_at = "sent", utcnow()
    db.session.commit()
    return message, handoff_link(channel, address, subject, body)


@bp.post("/clients/<int:client_id>/handoff/<channel>")
@login_required
def handoff(client_id: int, channel: str):
    """The card's Text / Email / WhatsApp buttons: the shop's default draft, straight to the app."""
    client = get_client_or_404(client_id)
    if channel not in HANDOFF_CHANNELS or channel not in enabled_channels():
        abort(404)
    problem = consent.why_not(client, channel)
    if problem:
        return render("messaging/_card_actions.html", None, status=422, client=client, problem=problem)
    template = default_template(channel)
    subject, body = initial_draft(client, channel, template, None)
    message, link = record_handoff(client, channel, subject, body, template.id if template else None, None,
                                   request.form.get("token"))
    return render("messaging/handoff_open.html", "opened", client=client, message=message, link=link,
                  reminder=None)


@bp.get("/clients/<int:client_id>/message/length")
@login_required
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
    target = request.form.get("next", "")
    if not (target.startswith("/") and not target.startswith("//")):
        target = url_for("messaging.channels")
    return redirect(target, 303)
