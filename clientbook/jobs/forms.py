"""Forms for jobs and the Settings → Jobs editor; errors show next to the field."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from clientbook.models import STAGE_OUTCOMES
from clientbook.money import parse_money


class MoneyField(StringField):
    """An amount as people type it in the shop's locale; .cents holds the parsed value (None when empty)."""

    cents: int | None = None

    def pre_validate(self, form):
        text = (self.data or "").strip()
        try:
            self.cents = parse_money(text) if text else None
        except ValueError as exc:
            self.cents = None
            raise ValidationError(str(exc)) from None
        if self.cents is not None and self.cents < 0:
            self.cents = None
            raise ValidationError("Enter an amount of zero or more.")


class JobForm(FlaskForm):
    job_type_id = SelectField("Kind of job", coerce=int)
    title = StringField("What", validators=[DataRequired("Say what the job is, e.g. “Resize ring to 6½”."),
                                            Length(max=200)])
    description = TextAreaField("Details", validators=[Optional(), Length(max=4000)])
    due_on = DateField("Due", validators=[Optional()])
    value = MoneyField("Estimate / value", validators=[Optional(), Length(max=20)])
    deposit = MoneyField("Deposit taken", validators=[Optional(), Length(max=20)])
    assigned_to_id = SelectField("Looked after by", coerce=int)

    def __init__(self, *args, job_types=(), staff=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.job_type_id.choices = [(t.id, t.name) for t in job_types]
        self.assigned_to_id.choices = [(0, "Nobody yet")] + [(u.id, u.name) for u in staff]

    def validate_deposit(self, field):
        if field.cents and self.value.cents is not None and field.cents > self.value.cents:
            raise ValidationError("The deposit can't be more than the value.")


class JobPurchaseForm(FlaskForm):
    description = StringField("Item", validators=[DataRequired("Describe the item."), Length(max=200)])
    amount = MoneyField("Amount", validators=[DataRequired("Enter the amount."), Length(max=20)])
    purchased_on = DateField("Day", validators=[DataRequired("Pick the day.")])


class JobTypeForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired("Give the kind of job a name."), Length(max=60)])
    ticket_prefix = StringField("Ticket letter", validators=[DataRequired("One or two letters."), Length(max=2)])
    is_opportunity = BooleanField("Sales opportunities (show value totals per stage)")

    def validate_ticket_prefix(self, field):
        if not (field.data or "").strip().isalpha():
            raise ValidationError("Use one or two letters, e.g. R.")


class StageForm(FlaskForm):
    name = StringField("Stage", validators=[DataRequired("Name the stage."), Length(max=60)])
    outcome = SelectField("Entering it", choices=[("", "keeps the job open")] + [
        (key, f"closes the job: {label.lower()}") for key, label in STAGE_OUTCOMES.items()])
