"""The Channels page (owner): which ways of reaching clients the shop offers, and a test send."""
from __future__ import annotations

from collections import ChainMap
from email.utils import parseaddr

import sqlalchemy as sa
from flask import current_app, flash, redirect, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from clientbook.contacts import InvalidEmail, normalize_email, normalize_phone
from clientbook.extensions import db
from clientbook.mail import mail_configured
from clientbook.messaging import bp
from clientbook.messaging.channel_checks import try_mail, try_twilio
from clientbook.messaging.channels.twilio import twilio_configured, twilio_settings
from clientbook.messaging.credentials import (
    MAIL_SECURITY, decrypt, encrypt, forget_cached, mail_config, mail_from_config, mail_values, stored_credentials,
    twilio_from_config, twilio_values,
)
from clientbook.messaging.outbox import enqueue_delivery, queue_message
from clientbook.messaging.settings import messaging_settings
from clientbook.models import ChannelCredentials, Message
from clientbook.roles import owner_required
from clientbook.shop import current_shop
from clientbook.web import external_url
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
    config = mail_config()
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
        "server_url": current_app.config.get("SERVER_URL") or "",
        "inbound_url": external_url("public.twilio_inbound"),
        "status_url": external_url("public.twilio_status"),
    }


def _unknown_messages() -> list[Message]:
    return list(db.session.scalars(
        sa.select(Message).where(Message.state == "unknown").order_by(Message.created_at.desc()).limit(50)
    ))


def _page(form: ChannelsForm, test_form: TestSendForm, status: int = 200, mail_form=None, sms_form=None,
          result: dict | None = None):
    row = stored_credentials()
    saved = {
        "mail_password": bool(row and row.mail_password_encrypted),
        "twilio_sid": _mask(row.twilio_account_sid) if row and row.twilio_account_sid else "",
        "twilio_token": bool(row and row.twilio_auth_token_encrypted),
        "mail_from_config": mail_from_config(), "twilio_from_config": twilio_from_config(),
    }
    return render("messaging/channels.html", None, status=status, form=form, test_form=test_form,
                  mail_form=mail_form or MailCredentialsForm(obj=row, formdata=None),
                  sms_form=sms_form or SmsCredentialsForm(formdata=None, twilio_from=row.twilio_from if row else ""),
                  saved=saved, result=result or {},
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


# ---- provider credentials typed on the page (stored encrypted; config and environment win) -----------

class MailCredentialsForm(FlaskForm):
    mail_server = StringField("SMTP server", validators=[Optional(), Length(max=255)])
    mail_port = IntegerField("Port", validators=[Optional(), NumberRange(min=1, max=65535)])
    mail_security = SelectField("Encryption", choices=list(MAIL_SECURITY.items()))
    mail_username = StringField("User name", validators=[Optional(), Length(max=255)])
    mail_password = PasswordField("Password", validators=[Optional(), Length(max=500)])
    mail_from = StringField("Send as", validators=[Optional(), Length(max=255)])
    test_to = StringField("Send the test to", validators=[Optional(), Length(max=254)])

    def validate_mail_server(self, field):
        field.data = (field.data or "").strip()
        if any(c in field.data for c in " /:@"):
            raise ValidationError("Only the host name, e.g. smtp.example.com.")

    def validate_mail_from(self, field):
        name, address = parseaddr((field.data or "").strip())
        if field.data and "@" not in address:
            raise ValidationError("An email address, e.g. Maison Perle <hello@maison-perle.com>.")
        if "\r" in (field.data or "") or "\n" in (field.data or ""):
            raise ValidationError("One line only.")


class SmsCredentialsForm(FlaskForm):
    twilio_account_sid = StringField("Account SID", validators=[Optional(), Length(max=64)])
    twilio_auth_token = PasswordField("Auth token", validators=[Optional(), Length(max=128)])
    twilio_from = StringField("The shop's Twilio number", validators=[Optional(), Length(max=40)])
    test_to = StringField("Send the test to", validators=[Optional(), Length(max=40)])

    def validate_twilio_account_sid(self, field):
        field.data = (field.data or "").strip()
        if field.data and not (field.data.startswith("AC") and len(field.data) == 34 and field.data.isalnum()):
            raise ValidationError("An Account SID starts with AC and has 34 letters and digits.")

    def validate_twilio_from(self, field):
        field.data = _phone_or_error(field.data)

    def validate_test_to(self, field):
        field.data = _phone_or_error(field.data)


def _phone_or_error(value: str | None) -> str:
    if not (value or "").strip():
        return ""
    shop = current_shop()
    number, ok = normalize_phone(value, shop.country if shop else "US")
    if not ok:
        raise ValidationError("Type a phone number the shop's country understands, e.g. +33 6 12 34 56 78.")
    return number


def _credentials_row() -> ChannelCredentials:
    row = stored_credentials()
    if row is None:
        row = ChannelCredentials()
        db.session.add(row)
    return row


def _credentials_page(mail_form=None, sms_form=None, status: int = 200, result: dict | None = None):
    return _page(ChannelsForm(obj=messaging_settings()), TestSendForm(), status, mail_form, sms_form, result)


@bp.post("/messaging/channels/email")
@owner_required
def save_mail_credentials():
    form = MailCredentialsForm()
    if not form.validate_on_submit():
        return _credentials_page(mail_form=form, status=422)
    row = stored_credentials()
    password = form.mail_password.data or (decrypt(row.mail_password_encrypted) if row else "")
    if request.form.get("action") == "test":
        problems = {"mail_server": form.mail_server.data, "mail_from": form.mail_from.data,
                    "test_to": form.test_to.data}
        for name, value in problems.items():
            if not value:
                getattr(form, name).errors = ["Needed for the test."]
        try:
            to = normalize_email(form.test_to.data) if form.test_to.data else ""
        except InvalidEmail as exc:
            form.test_to.errors, to = [str(exc)], ""
        if any(getattr(form, name).errors for name in problems):
            return _credentials_page(mail_form=form, status=422)
        trial = ChannelCredentials(mail_server=form.mail_server.data, mail_port=form.mail_port.data,
                                   mail_security=form.mail_security.data, mail_username=form.mail_username.data or "",
                                   mail_from=form.mail_from.data.strip())
        config = ChainMap(mail_values(trial, password), current_app.config)
        ok, text = try_mail(config, to, current_shop().name)
        return _credentials_page(mail_form=form, status=200 if ok else 422, result={"mail": (ok, text)})
    row = _credentials_row()
    row.mail_server, row.mail_port = form.mail_server.data, form.mail_port.data
    row.mail_security, row.mail_username = form.mail_security.data, (form.mail_username.data or "").strip()
    row.mail_from = (form.mail_from.data or "").strip()
    row.mail_password_encrypted = encrypt(password) if row.mail_server else ""
    db.session.commit()
    forget_cached()
    flash("Email settings saved." if row.mail_server else "Email settings removed.", "success")
    return redirect(url_for("messaging.channels"), 303)


@bp.post("/messaging/channels/sms")
@owner_required
def save_sms_credentials():
    form = SmsCredentialsForm()
    if not form.validate_on_submit():
        return _credentials_page(sms_form=form, status=422)
    row = stored_credentials()
    sid = form.twilio_account_sid.data or (row.twilio_account_sid if row else "")
    token = form.twilio_auth_token.data or (decrypt(row.twilio_auth_token_encrypted) if row else "")
    if request.form.get("action") == "test":
        for name, value in (("twilio_account_sid", sid), ("twilio_auth_token", token),
                            ("twilio_from", form.twilio_from.data), ("test_to", form.test_to.data)):
            if not value:
                getattr(form, name).errors = ["Needed for the test."]
        if any(field.errors for field in form):
            return _credentials_page(sms_form=form, status=422)
        trial = ChannelCredentials(twilio_account_sid=sid, twilio_from=form.twilio_from.data)
        settings = twilio_settings(ChainMap(twilio_values(trial, token), current_app.config))
        ok, text = try_twilio(settings, form.test_to.data, current_shop().name)
        return _credentials_page(sms_form=form, status=200 if ok else 422, result={"sms": (ok, text)})
    row = _credentials_row()
    row.twilio_account_sid, row.twilio_from = sid, form.twilio_from.data or ""
    row.twilio_auth_token_encrypted = encrypt(token) if sid else ""
    db.session.commit()
    forget_cached()
    flash("SMS settings saved." if sid else "SMS settings removed.", "success")
    return redirect(url_for("messaging.channels"), 303)
