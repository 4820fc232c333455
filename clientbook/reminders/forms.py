"""Forms for follow-ups and reminder rules; errors show next to the field."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from clientbook.models.clients import DATE_KINDS
from clientbook.money import parse_money

TRIGGER_CHOICES = [
    ("date", "An important date"),
    ("purchase", "After a purchase"),
    ("lapsed", "No purchase for a while"),
    ("job_stage", "A job enters a stage"),
]
DATE_KIND_CHOICES = [(kind, kind.capitalize()) for kind in DATE_KINDS]
class FollowUpForm(FlaskForm):
    reason = StringField("What to do", validators=[DataRequired("Say what the follow-up is for."), Length(max=200)],
                         render_kw={"placeholder": "Call when the custom order arrives"})
    due_date = DateField("Due", validators=[InputRequired("Pick a day.")])
    owner_id = SelectField("Assigned to", coerce=int)

    def __init__(self, *args, staff=(), today=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._today = today
        self.owner_id.choices = [(0, "Shop queue")] + [(user.id, user.name) for user in staff]

    def validate_due_date(self, field):
        if self._today and field.data and field.data < self._today:
            raise ValidationError("Pick today or a later day.")


class RuleForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired("Give the rule a name."), Length(max=120)])
    trigger = SelectField("When", choices=TRIGGER_CHOICES)
    date_kind = SelectField("Kind of date", choices=DATE_KIND_CHOICES)
    days = IntegerField("Days", validators=[InputRequired("Enter a number of days."), NumberRange(min=0, max=3650)])
    categories = StringField("Only these product categories (comma-separated, empty = any)",
                             validators=[Optional(), Length(max=400)])
    min_amount = StringField("Only purchases of at least (amount, empty = any)", validators=[Optional(), Length(max=20)])
    # Checked by validate_job_stage_id: only a job-stage rule needs one, other kinds post none.
    job_stage_id = SelectField("Job stage", coerce=int, default=0, validate_choice=False)
    message_template_id = SelectField("Suggested message", coerce=int)
    enabled = BooleanField("Switched on", default=True)
    auto_send = BooleanField("Send the suggested message automatically on the due day", default=False)
    auto_send_channel = SelectField("Send it by", choices=[("", "The message's own channel"), ("email", "Email"),
                                                           ("sms", "Text message (SMS)")], default="")

    def __init__(self, *args, templates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.message_template_id.choices = [(0, "No suggested message")] + [(t.id, t.name) for t in templates]
        from clientbook.jobs.records import stage_choices

        self.job_stage_id.choices = [(0, "—")] + stage_choices()
        self.min_amount_cents = None

    def validate_days(self, field):
        if field.data is None:
            return
        if self.trigger.data == "lapsed" and field.data < 7:
            raise ValidationError("A client counts as lapsed after at least 7 days.")
        if self.trigger.data == "date" and field.data > 180:
            raise ValidationError("Remind at most 180 days before a date.")

    def validate_job_stage_id(self, field):
        if self.trigger.data != "job_stage":
            return
        if not field.data or field.data not in {value for value, _label in field.choices}:
            raise ValidationError("Pick the stage that starts the count.")

    def validate_auto_send(self, field):
        if field.data and not self.message_template_id.data:
            raise ValidationError("Pick a suggested message to send automatically.")

    def validate_min_amount(self, field):
        # Only a purchase rule shows this field; another kind ignores whatever it posts.
        text = (field.data or "").strip() if self.trigger.data == "purchase" else ""
        try:
            self.min_amount_cents = parse_money(text) if text else None
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
        if self.min_amount_cents is not None and self.min_amount_cents < 0:
            raise ValidationError("Enter an amount of zero or more.")

    def apply_to(self, rule) -> None:
        rule.name = self.name.data.strip()
        rule.trigger = self.trigger.data
        rule.days = self.days.data
        rule.date_kind = self.date_kind.data if rule.trigger == "date" else None
        rule.job_stage_id = self.job_stage_id.data or None if rule.trigger == "job_stage" else None
        is_purchase = rule.trigger == "purchase"
        rule.categories = ", ".join(
            c.strip() for c in (self.categories.data or "").split(",") if c.strip()
        ) if is_purchase else ""
        rule.min_amount_cents = self.min_amount_cents if is_purchase else None
        rule.message_template_id = self.message_template_id.data or None
        rule.enabled = bool(self.enabled.data)
        rule.auto_send = bool(self.auto_send.data) and rule.message_template_id is not None
        rule.auto_send_channel = self.auto_send_channel.data or None
