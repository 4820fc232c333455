"""The Channels page (owner): which ways of reaching clients the shop offers, and a test send."""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, flash, redirect, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from clientbook.auth import current_shop, owner_required
from clientbook.contacts import InvalidEmail, normalize_email, normalize_phone
from clientbook.extensions import db
from clientbook.mail import mail_configured
from clientbook.messaging import bp
from clientbook.messaging.channels.twilio import twilio_configured, twilio_settings
from clientbook.web import external_url
from clientbook.messaging.outbox import enqueue_delivery, queue_message
from clientbook.messaging.settings import messaging_settings
from clientbook.models import Message
from clientbook.web import render


class ChannelsForm(FlaskForm):
    handoff_sms = BooleanField("Text from the associate's phone")
    handoff_email = BooleanField("Email from the associate's mail app")
    whatsapp = BooleanField("WhatsApp from the associate's phone")
    email_enabled = BooleanField("Email from the shop (SMTP)")
    sms_enabled = BooleanField("SMS from the shop's number (Twilio)")
    sms_help_reply = TextAreaField("Reply to HELP", validators=[Length(max=320)])


class TestSendForm(FlaskForm):
    channel = SelectField("Channel", choices=[("email", "Email"), ("sms", "SMS")])
    address = StringField("Send to", validators=[DataRequired(), Length(max=254)])

    def validate_address(self, field):
        if self.channel.data == "email":
            try:
                field.data = normalize_email(field.data)
            except InvalidEmail as exc:
                raise ValidationError(str(exc)) from exc
        else:
            shop = current_shop()
            number, ok = normalize_phone(field.data, shop.country if shop else "US")
            if not ok:
                raise ValidationError("Type a phone number the shop's country understands, e.g. +33 6 12 34 56 78.")
            field.data = number


def _mask(value: str) -> str:
    return f"{value[:2]}…{value[-4:]}" if len(value) > 8 else ("set" if value else "")


def configuration() -> dict:
    """What is configured, for display. Never the secrets themselves."""
    config = current_app.config
    twilio = twilio_settings()
    return {
        "mail": {
            "configured": mail_configured(), "server": config.get("MAIL_SERVER") or "",
            "port": config.get("MAIL_PORT", 587), "sender": config.get("MAIL_FROM") or "",
            "login": "yes" if config.get("MAIL_USERNAME") else "no",
        },
        "twilio": {
            "configured": twilio_configured(), "account": _mask(twilio["account_sid"]),
            "token": "set" if twilio["auth_token"] else "missing",
            "sender": twilio["from_number"] or (_mask(twilio["messaging_service_sid"]) and "Messaging service"),
            "base_url": twilio["base_url"],
        },
        "server_url": config.get("SERVER_URL") or "",
        "inbound_url": external_url("public.twilio_inbound"),
        "status_url": external_url("public.twilio_status"),
    }


def _unknown_messages() -> list[Message]:
    return list(db.session.scalars(
        sa.select(Message).where(Message.state == "unknown").order_by(Message.created_at.desc()).limit(50)
    ))


def _page(form: ChannelsForm, test_form: TestSendForm, status: int = 200):
    return render("messaging/channels.html", None, status=status, form=form, test_form=test_form,
                  setup=configuration(), unknown=_unknown_messages(),
                  recent_tests=list(db.session.scalars(
                      sa.select(Message).where(Message.purpose == "test").order_by(Message.id.desc()).limit(5))))


@bp.route("/messaging/channels", methods=["GET", "POST"])
@owner_required
def channels():
    settings = messaging_settings(for_saving=request.method == "POST")
    form = ChannelsForm(obj=settings)
    if form.validate_on_submit():
        form.populate_obj(settings)
        db.session.commit()
        flash("Channels saved.", "success")
        return redirect(url_for("messaging.channels"), 303)
    return _page(form, TestSendForm(), 422 if form.errors else 200)


@bp.post("/messaging/channels/test")
@owner_required
def send_test():
    test_form = TestSendForm()
    if not test_form.validate_on_submit():
        return _page(ChannelsForm(obj=messaging_settings()), test_form, 422)
    shop = current_shop()
    channel = test_form.channel.data
    message, _created = queue_message(
        client=None, channel=channel, to_address=test_form.address.data, purpose="test", user_id=current_user.id,
        subject=f"Test from {shop.name}", body=f"This is a test message from {shop.name}'s Clientbook.",
    )
    db.session.commit()
    enqueue_delivery(message.id)
    db.session.refresh(message)
    flash(f"Test {channel} queued to {message.to_address}: now {message.state}"
          + (f" ({message.error})" if message.error else "."), "success" if message.state != "failed" else "error")
    return redirect(url_for("messaging.channels"), 303)
