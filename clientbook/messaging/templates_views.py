"""Message templates: managers write the shop's ready drafts, with a live preview for a real client."""
from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from clientbook.extensions import db
from clientbook.messaging import bp
from clientbook.messaging.drafts import render_text
from clientbook.messaging.sms_length import sms_length
from clientbook.models import Client, MessageTemplate
from clientbook.placeholders import PLACEHOLDERS, unknown_placeholders
from clientbook.roles import manager_required
from clientbook.shop import current_shop
from clientbook.web import htmx_only, render

PREVIEW_CLIENT_CHOICES = 40


class KnownPlaceholders:
    def __call__(self, form, field):
        unknown = unknown_placeholders(field.data or "")
        if unknown:
            names = ", ".join("{" + name + "}" for name in unknown)
            allowed = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
            raise ValidationError(f"Unknown placeholder {names}. Use one of: {allowed}.")


class TemplateForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    channel = SelectField("Channel", choices=[("sms", "Text message (SMS, WhatsApp)"), ("email", "Email")])
    subject = StringField("Email subject", validators=[Length(max=200), KnownPlaceholders()])
    body = TextAreaField("Message", validators=[DataRequired(), Length(max=5000), KnownPlaceholders()])
    active = BooleanField("In use", default=True)


def _templates() -> list[MessageTemplate]:
    return list(db.session.scalars(
        sa.select(MessageTemplate).order_by(MessageTemplate.active.desc(), MessageTemplate.channel, MessageTemplate.name)
    ))


def _preview_clients() -> list[Client]:
    return list(db.session.scalars(
        sa.select(Client).where(Client.archived_at.is_(None), Client.merged_into_id.is_(None))
        .order_by(Client.updated_at.desc(), Client.id.desc()).limit(PREVIEW_CLIENT_CHOICES)
    ))


def _preview(subject: str, body: str, client_id: str | None) -> dict:
    client = db.session.get(Client, int(client_id)) if client_id and client_id.isdigit() else None
    if client is None:
        client = Client(id=None, first_name="Camille", last_name="Martin")
    shop = current_shop()
    values_body = render_text(body, client, current_user, shop, "your birthday")
    return {
        "preview_subject": render_text(subject, client, current_user, shop, "your birthday"),
        "preview_body": values_body,
        "preview_client": client,
        "preview_length": sms_length(values_body),
        "preview_unknown": unknown_placeholders(subject + " " + body),
    }


def _editor(form: TemplateForm, template: MessageTemplate | None, status: int = 200):
    return render("messaging/template_edit.html", None, status=status, form=form, message_template=template,
                  placeholders=PLACEHOLDERS, clients=_preview_clients(),
                  **_preview(form.subject.data or "", form.body.data or "", request.values.get("preview_client_id")))


@bp.get("/messaging/templates")
@manager_required
def templates():
    return render("messaging/templates.html", templates=_templates())


@bp.route("/messaging/templates/new", methods=["GET", "POST"])
@manager_required
def new_template():
    form = TemplateForm()
    if request.method == "GET":
        form.channel.data = request.args.get("channel", "sms")
    if form.validate_on_submit():
        template = MessageTemplate()
        _save(form, template)
        db.session.add(template)
        db.session.commit()
        flash(f"Template “{template.name}” saved.", "success")
        return redirect(url_for("messaging.templates"), 303)
    return _editor(form, None, 422 if form.errors else 200)


@bp.route("/messaging/templates/<int:template_id>", methods=["GET", "POST"])
@manager_required
def edit_template(template_id: int):
    template = db.get_or_404(MessageTemplate, template_id)
    form = TemplateForm(obj=template)
    if form.validate_on_submit():
        _save(form, template)
        db.session.commit()
        flash(f"Template “{template.name}” saved.", "success")
        return redirect(url_for("messaging.templates"), 303)
    return _editor(form, template, 422 if form.errors else 200)


def _save(form: TemplateForm, template: MessageTemplate) -> None:
    template.name = form.name.data.strip()
    template.channel = form.channel.data
    template.subject = (form.subject.data or "").strip() if form.channel.data == "email" else ""
    template.body = form.body.data.strip()
    template.active = form.active.data


@bp.post("/messaging/templates/preview")
@manager_required
@htmx_only
def preview_template():
    """The live preview beside the editor (htmx, as you type). Changes nothing."""
    context = _preview(request.form.get("subject", ""), request.form.get("body", ""),
                       request.form.get("preview_client_id"))
    return render("messaging/template_edit.html", "preview", channel=request.form.get("channel", "sms"), **context)
