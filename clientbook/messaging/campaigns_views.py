"""Campaign pages (managers): pick a segment, see who it reaches, preview, send, watch progress."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from clientbook.extensions import db
from clientbook.messaging import bp, campaigns
from clientbook.messaging.drafts import render_text
from clientbook.messaging.settings import channel_enabled
from clientbook.messaging.sms_length import sms_length
from clientbook.messaging.templates_views import KnownPlaceholders
from clientbook.models import Campaign, Client, MessageTemplate, PreferenceKey, User
from clientbook.roles import manager_required
from clientbook.shop import current_shop
from clientbook.staff import active_staff
from clientbook.web import htmx_only, render

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]
PREVIEW_COUNT = 5


class SegmentForm(FlaskForm):
    """The client-list filters, as a campaign segment (GET parameters with the same names)."""

    class Meta:
        csrf = False

    tag = StringField("Tag", validators=[Optional(), Length(max=60)])
    pref_key = SelectField("Preference", coerce=str, validators=[Optional()])
    pref_value = StringField("Preference value", validators=[Optional(), Length(max=200)])
    min_spend = IntegerField("Spent at least", validators=[Optional(), NumberRange(min=0)])
    no_purchase_since = StringField("No purchase since", validators=[Optional()], render_kw={"type": "date"})
    last_purchase_after = StringField("Bought something after", validators=[Optional()], render_kw={"type": "date"})
    last_purchase_before = StringField("Last purchase before", validators=[Optional()], render_kw={"type": "date"})
    birthday_month = SelectField("Birthday in", coerce=str, validators=[Optional()])
    assigned_to = SelectField("Assigned to", coerce=str, validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.pref_key.choices = [("", "Any preference")] + [
            (str(k.id), k.name) for k in db.session.scalars(
                sa.select(PreferenceKey).where(PreferenceKey.active.is_(True)).order_by(PreferenceKey.position))]
        self.birthday_month.choices = [("", "Any month")] + [(str(i), m) for i, m in enumerate(MONTHS, start=1)]
        self.assigned_to.choices = [("", "Anyone")] + [
            (str(u.id), u.name) for u in active_staff()]


class CampaignForm(FlaskForm):
    name = StringField("Campaign name", validators=[DataRequired(), Length(max=120)])
    channel = SelectField("Send by", choices=[("email", "Email from the shop"), ("sms", "SMS from the shop's number")])
    template_id = SelectField("Start from template", coerce=str, validators=[Optional()])
    subject = StringField("Email subject", validators=[Length(max=200), KnownPlaceholders()])
    body = TextAreaField("Message", validators=[Length(max=5000), KnownPlaceholders()])
    rate_per_minute = IntegerField("Messages per minute", validators=[DataRequired(), NumberRange(min=1, max=600)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.template_id.choices = [("", "Write my own")] + [
            (str(t.id), f"{t.name} ({'email' if t.channel == 'email' else 'text'})") for t in db.session.scalars(
                sa.select(MessageTemplate).where(MessageTemplate.active.is_(True)).order_by(MessageTemplate.name))]

    def validate_channel(self, field):
        if not channel_enabled(field.data):
            raise ValidationError("This channel is not switched on. An owner can set it up under Settings → Channels.")

    def validate_body(self, field):
        if not (field.data or "").strip() and not self.template_id.data:
            raise ValidationError("Write the message or start from a template.")


def _campaign_or_404(campaign_id: int) -> Campaign:
    return db.get_or_404(Campaign, campaign_id)


@bp.get("/messaging/campaigns", endpoint="campaigns")
@manager_required
def campaigns_index():
    rows = db.session.scalars(sa.select(Campaign).order_by(Campaign.created_at.desc()).limit(100)).all()
    return render("messaging/campaigns.html", campaigns=[(c, campaigns.campaign_progress(c.id)) for c in rows])


@bp.route("/messaging/campaigns/new", methods=["GET", "POST"])
@manager_required
def new_campaign():
    segment = SegmentForm(request.values)
    form = CampaignForm()
    if request.method == "GET":
        form.rate_per_minute.data = campaigns.campaign_rate_default()
        form.channel.data = "email" if channel_enabled("email") or not channel_enabled("sms") else "sms"
    if form.validate_on_submit() and segment.validate():
        template = db.session.get(MessageTemplate, int(form.template_id.data)) if form.template_id.data else None
        campaign = Campaign(
            name=form.name.data.strip(), channel=form.channel.data, template_id=template.id if template else None,
            subject=(form.subject.data or "").strip() or (template.subject or template.name if template else ""),
            body=(form.body.data or "").strip() or (template.body if template else ""),
            rate_per_minute=form.rate_per_minute.data, created_by_id=current_user.id,
            segment_json=campaigns.segment_json_from(request.form),
        )
        db.session.add(campaign)
        db.session.commit()
        return redirect(url_for("messaging.campaign", campaign_id=campaign.id), 303)
    reach = campaigns.segment_reach(_segment_args(), current_user, current_shop())
    return render("messaging/campaign_new.html", None, status=422 if form.errors or segment.errors else 200,
                  form=form, segment=segment, reach=reach, sms_enabled=channel_enabled("sms"),
                  email_enabled=channel_enabled("email"))


def _segment_args():
    from werkzeug.datastructures import MultiDict

    return campaigns.segment_args(campaigns.segment_json_from(MultiDict(request.values)))


@bp.get("/messaging/campaigns/reach")
@manager_required
@htmx_only
def campaign_reach():
    """How many clients the segment reaches on each channel (htmx, as filters change)."""
    reach = campaigns.segment_reach(_segment_args(), current_user, current_shop())
    return render("messaging/campaign_new.html", "reach", reach=reach)


@bp.get("/messaging/campaigns/<int:campaign_id>")
@manager_required
def campaign(campaign_id: int):
    campaign = _campaign_or_404(campaign_id)
    context = {"campaign": campaign, "progress": campaigns.campaign_progress(campaign.id)}
    if campaign.state == "draft":
        args = campaigns.segment_args(campaign.segment_json)
        context["reach"] = campaigns.segment_reach(args, current_user, current_shop())
        context["previews"] = _previews(campaign, args)
        context["segment_summary"] = segment_summary(args)
    return render("messaging/campaign.html", None, **context)


def _previews(campaign: Campaign, args) -> list[dict]:
    ids = campaigns.segment_client_ids(args, current_user, current_shop())
    clients = db.session.scalars(
        sa.select(Client).where(Client.id.in_(ids.scalar_subquery()), *campaigns.reachable_conditions(campaign.channel))
        .order_by(Client.sort_name, Client.id).limit(PREVIEW_COUNT)).all()
    shop = current_shop()
    previews = []
    for client in clients:
        body = render_text(campaign.body, client, client.assigned_to or campaign.created_by, shop)
        previews.append({"client": client, "body": body, "length": sms_length(body),
                         "subject": render_text(campaign.subject, client, client.assigned_to, shop)})
    return previews


def segment_summary(args) -> list[str]:
    """The segment in words, e.g. ["tag: vip", "birthday in May"]."""
    parts = []
    labels = {"tag": "tag", "pref_value": "preference", "min_spend": "spent at least",
              "no_purchase_since": "no purchase since", "last_purchase_after": "bought after",
              "last_purchase_before": "last purchase before"}
    for key, label in labels.items():
        for value in args.getlist(key):
            parts.append(f"{label} {value}")
    if args.get("birthday_month", "").isdigit() and 1 <= int(args["birthday_month"]) <= 12:
        parts.append(f"birthday in {MONTHS[int(args['birthday_month']) - 1]}")
    if args.get("assigned_to", "").isdigit():
        user = db.session.get(User, int(args["assigned_to"]))
        parts.append(f"assigned to {user.name if user else '?'}")
    return parts or ["every client"]


@bp.get("/messaging/campaigns/<int:campaign_id>/progress")
@manager_required
def campaign_progress(campaign_id: int):
    campaign = _campaign_or_404(campaign_id)
    return render("messaging/campaign.html", "progress", campaign=campaign,
                  progress=campaigns.campaign_progress(campaign.id))


@bp.post("/messaging/campaigns/<int:campaign_id>/send")
@manager_required
def send_campaign(campaign_id: int):
    campaign = _campaign_or_404(campaign_id)
    if campaign.state != "draft":
        abort(409)
    if not channel_enabled(campaign.channel):
        flash("This channel is not switched on any more.", "error")
        return redirect(url_for("messaging.campaign", campaign_id=campaign.id), 303)
    count = campaigns.start_campaign(campaign, current_user)
    flash(f"Sending to {count} client{'s' if count != 1 else ''}, {campaign.rate_per_minute} a minute.", "success")
    return redirect(url_for("messaging.campaign", campaign_id=campaign.id), 303)


@bp.post("/messaging/campaigns/<int:campaign_id>/pause")
@manager_required
def pause_campaign(campaign_id: int):
    campaigns.pause_campaign(_campaign_or_404(campaign_id))
    return redirect(url_for("messaging.campaign", campaign_id=campaign_id), 303)


@bp.post("/messaging/campaigns/<int:campaign_id>/resume")
@manager_required
def resume_campaign(campaign_id: int):
    campaigns.resume_campaign(_campaign_or_404(campaign_id))
    return redirect(url_for("messaging.campaign", campaign_id=campaign_id), 303)


@bp.post("/messaging/campaigns/<int:campaign_id>/delete")
@manager_required
def delete_campaign(campaign_id: int):
    campaign = _campaign_or_404(campaign_id)
    if campaign.state != "draft":
        abort(409)
    db.session.delete(campaign)
    db.session.commit()
    flash("Draft campaign deleted.", "success")
    return redirect(url_for("messaging.campaigns"), 303)

