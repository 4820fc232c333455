"""Forms of the client book. Each validates fully before anything is saved."""
from __future__ import annotations

import calendar
import re
from datetime import date

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField, DateField, FieldList, Form, FormField, IntegerField, SelectField, StringField, TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from clientbook.contacts import InvalidEmail, normalize_email
from clientbook.models import PreferenceKey
from clientbook.money import parse_money
from clientbook.shop import shop_today
from clientbook.staff import active_staff, staff_roster
from clientbook.tags import shop_spellings

MONTHS = [(i, calendar.month_name[i]) for i in range(1, 13)]
CHANNEL_CHOICES = [("", "No preference"), ("sms", "Text message"), ("email", "Email"),
                   ("whatsapp", "WhatsApp"), ("phone", "Phone call")]
DATE_KIND_CHOICES = [("birthday", "Birthday"), ("anniversary", "Anniversary"), ("custom", "Other occasion")]
CONSENT_SOURCES = ("Asked in store", "Signed form", "Online form", "By phone", "Imported from POS")
MAX_TAGS = 20


# ---- parsing helpers -------------------------------------------------------------

def split_tags(text: str | None) -> list[str]:
    """'VIP, #bridal ,  Watches' -> ['VIP', 'bridal', 'Watches'] (as typed, no '#'; repeats in any
    case or accent dropped: clientbook.tags decides which spelling is kept)."""
    return shop_spellings(raw.strip().lstrip("#") for raw in re.split(r"[,;\n]", text or ""))


def staff_choices(blank: str | None = "Nobody yet") -> list[tuple[int | str, str]]:
    choices: list[tuple[int | str, str]] = [(u.id, u.name) for u in active_staff()]
    return ([("", blank)] if blank else []) + choices


def _int_or_none(value):
    return int(value) if value not in (None, "", "None") else None


# ---- contact ---------------------------------------------------------------------

class ContactForm(FlaskForm):
    first_name = StringField("First name", validators=[Length(max=100)])
    last_name = StringField("Last name", validators=[Length(max=100)])
    email = StringField("Email", validators=[Length(max=254)], render_kw={"type": "email", "autocomplete": "off"})
    phone = StringField("Phone", validators=[Length(max=40)], render_kw={"type": "tel", "autocomplete": "off"})
    address = TextAreaField("Address", validators=[Length(max=500)], render_kw={"rows": 2})
    preferred_channel = SelectField("Prefers to hear by", choices=CHANNEL_CHOICES, default="")

    def validate_first_name(self, field):
        if not (field.data or "").strip() and not (self.last_name.data or "").strip():
            raise ValidationError("Enter a first or last name.")

    def validate_email(self, field):
        try:
            normalize_email(field.data)
        except InvalidEmail as exc:
            raise ValidationError(f"This email address doesn't look right: {exc}") from exc


class NewClientForm(ContactForm):
    tags = StringField("Tags", validators=[Length(max=600)])
    assigned_to_id = SelectField("Looked after by", coerce=_int_or_none)
    email_opt_in = BooleanField("Agrees to receive emails")
    sms_opt_in = BooleanField("Agrees to receive text messages")
    consent_source = StringField("How they agreed", validators=[Length(max=120)],
                                 render_kw={"list": "consent-sources"})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.assigned_to_id.choices = staff_choices()

    def validate_tags(self, field):
        if len(split_tags(field.data)) > MAX_TAGS:
            raise ValidationError(f"Use at most {MAX_TAGS} tags.")

    def validate_consent_source(self, field):
        if (self.email_opt_in.data or self.sms_opt_in.data) and not (field.data or "").strip():
            raise ValidationError("Say how the client agreed, e.g. \u201cAsked in store\u201d.")


class TagsForm(FlaskForm):
    tags = StringField("Tags", validators=[Length(max=600)])

    def validate_tags(self, field):
        if len(split_tags(field.data)) > MAX_TAGS:
            raise ValidationError(f"Use at most {MAX_TAGS} tags.")


class ConsentForm(FlaskForm):
    email_opt_in = BooleanField("Agrees to receive emails")
    email_source = StringField("How they agreed to emails", validators=[Length(max=120)],
                               render_kw={"list": "consent-sources"})
    sms_opt_in = BooleanField("Agrees to receive text messages")
    sms_source = StringField("How they agreed to texts", validators=[Length(max=120)],
                             render_kw={"list": "consent-sources"})

    def validate_email_source(self, field):
        if self.email_opt_in.data and not (field.data or "").strip():
            raise ValidationError("Say how the client agreed, e.g. \u201cAsked in store\u201d.")

    def validate_sms_source(self, field):
        if self.sms_opt_in.data and not (field.data or "").strip():
            raise ValidationError("Say how the client agreed, e.g. \u201cSigned form\u201d.")


def preferences_form(keys: list[PreferenceKey], values: dict[int, str], formdata=None) -> FlaskForm:
    """A form with one field per active preference key, named key_<id>."""

    class PreferencesForm(FlaskForm):
        pass

    for key in keys:
        setattr(PreferencesForm, f"key_{key.id}", StringField(key.name, validators=[Length(max=200)],
                                                             default=values.get(key.id, "")))
    return PreferencesForm(formdata=formdata) if formdata is not None else PreferencesForm()


# ---- important dates -----------------------------------------------------------------

class DateForm(FlaskForm):
    kind = SelectField("Occasion", choices=DATE_KIND_CHOICES)
    label = StringField("Name of the occasion", validators=[Length(max=80)])
    month = SelectField("Month", choices=MONTHS, coerce=int)
    day = IntegerField("Day", validators=[InputRequired("Enter the day."), NumberRange(1, 31, "Enter a day from 1 to 31.")],
                       render_kw={"inputmode": "numeric"})
    year = IntegerField("Year (if known)", validators=[Optional(), NumberRange(1900, 2100, "Enter a year like 1984.")],
                        render_kw={"inputmode": "numeric"})
    for_whom = StringField("For whom (leave empty for the client)", validators=[Length(max=120)],
                           render_kw={"placeholder": "e.g. wife Anna"})

    def validate_label(self, field):
        if self.kind.data == "custom" and not (field.data or "").strip():
            raise ValidationError("Name the occasion, e.g. \u201cName day\u201d.")

    def validate_day(self, field):
        if field.data is None or self.month.data not in range(1, 13):
            return
        # Without a year, 29 February is a real date (it is celebrated on the 28th in common years).
        year = self.year.data if isinstance(self.year.data, int) and 1900 <= self.year.data <= 2100 else 2000
        last_day = calendar.monthrange(year, self.month.data)[1]
        if field.data > last_day:
            month = calendar.month_name[self.month.data]
            raise ValidationError(f"{month} has only {last_day} days" + (f" in {year}." if self.year.data else "."))

    def validate_year(self, field):
        if field.data and field.data > date.today().year and self.kind.data == "birthday":
            raise ValidationError("A birthday can't be in the future.")


# ---- purchases, notes, wish list -------------------------------------------------------

class PurchaseItemForm(Form):
    description = StringField("Item", validators=[Length(max=200)])
    category = StringField("Category", validators=[Length(max=80)])
    sku = StringField("SKU", validators=[Length(max=80)])
    amount = StringField("Amount", render_kw={"inputmode": "decimal"})

    def is_blank(self) -> bool:
        return not any((f.data or "").strip() for f in (self.description, self.category, self.sku, self.amount))

    def validate_description(self, field):
        if not self.is_blank() and not (field.data or "").strip():
            raise ValidationError("Describe the item.")

    def validate_amount(self, field):
        if self.is_blank():
            return
        try:
            cents = parse_money(field.data)
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc
        if cents < 0:
            raise ValidationError("Enter a positive amount (record returns as a note).")
        self.amount_cents = cents


class PurchaseForm(FlaskForm):
    purchased_on = DateField("Date", validators=[DataRequired("Enter the date of the purchase.")])
    associate_id = SelectField("Sold by", coerce=_int_or_none)
    items = FieldList(FormField(PurchaseItemForm), min_entries=1, max_entries=30)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.associate_id.choices = staff_choices(blank="Nobody in particular")

    def filled_items(self) -> list[PurchaseItemForm]:
        return [entry.form for entry in self.items if not entry.form.is_blank()]

    def validate_items(self, field):
        if not self.filled_items():
            raise ValidationError("Add at least one item.")

    def validate_purchased_on(self, field):
        if field.data and field.data > shop_today():
            raise ValidationError("A purchase can't be in the future.")


class NoteForm(FlaskForm):
    body = TextAreaField("Note", validators=[DataRequired("Write something first."), Length(max=5000)],
                         render_kw={"rows": 3, "placeholder": "What did you learn today?"})


class WishlistForm(FlaskForm):
    description = StringField("Wish", validators=[DataRequired("Describe the item."), Length(max=200)],
                              render_kw={"placeholder": "e.g. Pearl drop earrings, white gold"})
    note = StringField("Detail (optional)", validators=[Length(max=500)])


# ---- assignment ------------------------------------------------------------------------

class AssignForm(FlaskForm):
    assigned_to_id = SelectField("Looked after by", coerce=_int_or_none)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.assigned_to_id.choices = staff_choices()


class BulkReassignForm(FlaskForm):
    from_user_id = SelectField("Move every client of", coerce=_int_or_none)
    to_user_id = SelectField("To", coerce=_int_or_none)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        everyone = [(u.id, u.name + ("" if u.active else " (left)")) for u in
                    staff_roster()]
        self.from_user_id.choices = [("", "Choose…")] + everyone
        self.to_user_id.choices = staff_choices(blank="Nobody (unassigned)")

    def validate_to_user_id(self, field):
        if self.from_user_id.data is not None and field.data == self.from_user_id.data:
            raise ValidationError("Choose someone else.")

    def validate_from_user_id(self, field):
        if field.data is None:
            raise ValidationError("Choose whose clients to move.")
