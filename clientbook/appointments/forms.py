"""The booking form."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectField, TextAreaField, TimeField
from wtforms.validators import DataRequired, Length, NumberRange

from clientbook.models import APPOINTMENT_PURPOSES

DURATIONS = [(15, "15 min"), (30, "30 min"), (45, "45 min"), (60, "1 hour"), (90, "1 h 30"), (120, "2 hours"),
             (180, "3 hours"), (240, "4 hours")]


class AppointmentForm(FlaskForm):
    day = DateField("Date", validators=[DataRequired(message="Pick a date.")])
    start = TimeField("Start", validators=[DataRequired(message="Pick a time.")])
    duration_minutes = SelectField("Duration", coerce=int, choices=DURATIONS, default=30,
                                   validators=[NumberRange(min=5, max=8 * 60)])
    purpose = SelectField("Purpose", choices=[(p, p.capitalize()) for p in APPOINTMENT_PURPOSES])
    associate_id = SelectField("With", coerce=int)
    notes = TextAreaField("Notes", validators=[Length(max=2000)])
    job_id = SelectField("For the job", coerce=int, default=0)
    # Set once the booker has seen the conflicts and books anyway.
    confirm = HiddenField(default="")

    def __init__(self, *args, staff=(), jobs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.associate_id.choices = [(person.id, person.name) for person in staff]
        # Only the client's open jobs can be chosen: an id from elsewhere fails validation.
        self.job_id.choices = [(0, "No job")] + [(job.id, f"{job.ticket} · {job.title}") for job in jobs]
