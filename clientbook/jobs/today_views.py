"""A job's row on Today: open its snooze choices in place, snooze it, undo the snooze.

Same rules as a reminder row: the job's client through the card's access rule, and an associate
acts only on jobs assigned to them (404 otherwise). htmx swaps the row; plain forms go back to Today.
"""
from __future__ import annotations

from flask import abort, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from clientbook.extensions import db
from clientbook.jobs import bp, today as job_today
from clientbook.jobs.queries import today_row
from clientbook.jobs.views import get_job_or_404
from clientbook.models import Job
from clientbook.reminders.rules import snooze_until_from
from clientbook.shop import shop_today
from clientbook.web import render, safe_next, vary_on_htmx, wants_partial

ROW_MODES = ("", "snooze")


def _job_for_action(job_id: int, *, editing: bool = False) -> Job:
    job = get_job_or_404(job_id, editing=editing)
    if not job_today.may_act_on(current_user, job):
        abort(404)
    return job


def _back() -> str:
    return safe_next(request.form.get("next") or request.args.get("next"), url_for("reminders.today"))


def _row(job: Job, *, mode: str = "", error: str | None = None, status: int = 200):
    context = dict(row=today_row(job, shop_today()), today=shop_today(), mode=mode, error=error, back_url=_back())
    if not wants_partial():
        if request.method == "POST" and not error:
            return redirect(_back(), 303)
        return render("jobs/today_row.html", status=status, **context)
    return vary_on_htmx(make_response(render_template("jobs/_today_job_row.html", **context), status))


@bp.get("/jobs/<int:job_id>/today")
@login_required
def today_row_view(job_id: int):
    """The job's Today row, with the snooze choices open when asked (htmx swaps it in place)."""
    mode = request.args.get("mode", "")
    if mode not in ROW_MODES:
        abort(404)
    return _row(_job_for_action(job_id), mode=mode)


@bp.post("/jobs/<int:job_id>/today/snooze")
@login_required
def snooze(job_id: int):
    job = _job_for_action(job_id, editing=True)
    try:
        job_today.snooze(job, snooze_until_from(request.form, shop_today()), shop_today())
    except job_today.SnoozeError as error:
        return _row(job, mode="snooze", error=str(error), status=422)
    db.session.commit()
    return _row(job)


@bp.post("/jobs/<int:job_id>/today/unsnooze")
@login_required
def unsnooze(job_id: int):
    job = _job_for_action(job_id, editing=True)
    job_today.unsnooze(job)
    db.session.commit()
    return _row(job)
