"""Shop settings (name, locale, hours, visibility) and the shop's preference keys."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, request, url_for
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, Length, NumberRange, ValidationError

from clientbook.extensions import db
from clientbook.models import PreferenceKey
from clientbook.roles import manager_required, owner_required
from clientbook.shop import COUNTRY_CHOICES, CURRENCY_CHOICES, current_shop, timezone_choices
from clientbook.text import fold
from clientbook.web import render

bp = Blueprint("settings", __name__, url_prefix="/settings")

DEFAULT_PREFERENCE_KEYS = (
    "Ring size", "Dress size", "Shoe size", "Metal", "Style", "Favourite brands", "Budget",
)


def add_default_preference_keys() -> None:
    for position, name in enumerate(DEFAULT_PREFERENCE_KEYS):
        db.session.add(PreferenceKey(name=name, position=position))


class ShopForm(FlaskForm):
    name = StringField("Shop name", validators=[DataRequired(), Length(max=120)])
    country = SelectField("Country (for phone numbers)", choices=COUNTRY_CHOICES)
    timezone = SelectField("Time zone")
    currency = SelectField("Currency", choices=CURRENCY_CHOICES)
    postal_address = TextAreaField("Postal address (printed in emails)", validators=[Length(max=500)])
    opening_time = TimeField("Opening time (morning digest)")
    quiet_hours_start = TimeField("Messages allowed from")
    quiet_hours_end = TimeField("Messages allowed until")
    associates_see_all_clients = BooleanField("Associates may open the whole client book")
    attribution_days = IntegerField(
        "Credit a purchase to an outreach within (days)", validators=[NumberRange(min=0, max=90)]
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.timezone.choices = timezone_choices()

    def validate_quiet_hours_end(self, field):
        if self.quiet_hours_start.data and field.data and field.data <= self.quiet_hours_start.data:
            raise ValidationError("The end must be later than the start.")


class PreferenceKeyForm(FlaskForm):
    name = StringField("New preference", validators=[DataRequired(), Length(max=60)])

    def validate_name(self, field):
        exists = db.session.scalar(
            sa.select(PreferenceKey.id).where(sa.func.fold(PreferenceKey.name) == fold(field.data.strip()))
        )
        if exists:
            raise ValidationError("That preference already exists.")


@bp.get("/welcome")
@login_required
def welcome():
    return render("settings/welcome.html")


@bp.get("/")
@manager_required
def index():
    from clientbook.backups.health import instance_health

    return render("settings/index.html", health=instance_health())


@bp.route("/shop", methods=["GET", "POST"])
@owner_required
def edit_shop():
    shop = current_shop()
    form = ShopForm(obj=shop)
    if form.validate_on_submit():
        form.populate_obj(shop)
        db.session.commit()
        flash("Shop settings saved.", "success")
        return redirect(url_for("settings.edit_shop"), 303)
    return render("settings/shop.html", form=form, status=422 if form.errors else 200)


def _preference_keys() -> list[PreferenceKey]:
    return db.session.scalars(sa.select(PreferenceKey).order_by(PreferenceKey.position, PreferenceKey.id)).all()


@bp.get("/preferences")
@manager_required
def list_preference_keys():
    return render("settings/preferences.html", keys=_preference_keys(), form=PreferenceKeyForm())


@bp.post("/preferences")
@manager_required
def add_preference_key():
    form = PreferenceKeyForm()
    if form.validate_on_submit():
        position = (db.session.scalar(sa.select(sa.func.max(PreferenceKey.position))) or 0) + 1
        db.session.add(PreferenceKey(name=form.name.data.strip(), position=position))
        db.session.commit()
        return redirect(url_for("settings.list_preference_keys"), 303)
    return render("settings/preferences.html", "key_list", keys=_preference_keys(), form=form, status=422)


@bp.post("/preferences/<int:key_id>/active")
@manager_required
def set_preference_key_active(key_id: int):
    key = db.get_or_404(PreferenceKey, key_id)
    key.active = request.form.get("active") == "1"
    db.session.commit()
    return render("settings/preferences.html", "key_list", keys=_preference_keys(), form=PreferenceKeyForm())
