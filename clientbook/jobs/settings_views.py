"""Settings → Jobs: the kinds of job and their stages, in order, each open or closing. Managers only."""
from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, request, url_for

from clientbook.extensions import db
from clientbook.jobs import bp
from clientbook.jobs.forms import JobTypeForm, StageForm
from clientbook.jobs.records import ensure_job_types
from clientbook.models import Job, JobType, Stage
from clientbook.roles import manager_required
from clientbook.text import fold
from clientbook.web import render


def _page(status: int = 200, type_form: JobTypeForm | None = None, stage_forms: dict | None = None,
          add_forms: dict | None = None):
    ensure_job_types()
    types = list(db.session.scalars(sa.select(JobType).order_by(JobType.position, JobType.id)))
    counts = dict(db.session.execute(sa.select(Job.stage_id, sa.func.count()).where(Job.closed_at.is_(None))
                                     .group_by(Job.stage_id)).all())
    return render("jobs/settings.html", status=status, types=types, open_counts=counts,
                  type_form=type_form or JobTypeForm(formdata=None, prefix="type"),
                  stage_forms=stage_forms or {}, add_forms=add_forms or {}, blank_stage=StageForm(formdata=None, prefix="stage"))


def _back():
    return redirect(url_for("jobs.settings"), 303)


@bp.get("/settings/jobs")
@manager_required
def settings():
    page = _page()
    db.session.commit()  # keep the seeded types
    return page


@bp.post("/settings/jobs")
@manager_required
def add_type():
    form = JobTypeForm(prefix="type")
    if form.validate_on_submit():
        name = form.name.data.strip()
        if db.session.scalar(sa.select(JobType.id).where(sa.func.fold(JobType.name) == fold(name))):
            form.name.errors = ["There is already a kind of job with that name."]
        else:
            position = (db.session.scalar(sa.select(sa.func.max(JobType.position))) or 0) + 1
            db.session.add(JobType(name=name, ticket_prefix=form.ticket_prefix.data.strip().upper(),
                                   is_opportunity=bool(form.is_opportunity.data), position=position))
            db.session.commit()
            flash(f"Added “{name}”. Now give it its stages.", "success")
            return _back()
    return _page(422, type_form=form)


@bp.post("/settings/jobs/<int:type_id>/active")
@manager_required
def set_type_active(type_id: int):
    job_type = db.get_or_404(JobType, type_id)
    job_type.active = request.form.get("active") == "1"
    db.session.commit()
    flash(f"“{job_type.name}” is {'in use' if job_type.active else 'hidden from new jobs and the board'}.", "success")
    return _back()


@bp.post("/settings/jobs/<int:type_id>/stages")
@manager_required
def add_stage(type_id: int):
    job_type = db.get_or_404(JobType, type_id)
    form = StageForm(prefix="stage")
    if form.validate_on_submit():
        name = form.name.data.strip()
        if any(fold(s.name) == fold(name) for s in job_type.stages):
            form.name.errors = ["This kind of job already has a stage with that name."]
        else:
            position = max((s.position for s in job_type.stages), default=-1) + 1
            job_type.stages.append(Stage(name=name, outcome=form.outcome.data or None, position=position))
            db.session.commit()
            return _back()
    return _page(422, add_forms={type_id: form})


def _stage(stage_id: int) -> Stage:
    return db.get_or_404(Stage, stage_id)


@bp.post("/settings/jobs/stages/<int:stage_id>/move")
@manager_required
def move_stage(stage_id: int):
    """Up or down one place (positions are renumbered so they stay distinct)."""
    stage = _stage(stage_id)
    stages = list(stage.job_type.stages)
    index = stages.index(stage)
    step = -1 if request.form.get("direction") == "up" else 1
    if 0 <= index + step < len(stages):
        stages[index], stages[index + step] = stages[index + step], stages[index]
        for position, each in enumerate(stages):
            each.position = position
        db.session.commit()
    return _back()


@bp.post("/settings/jobs/stages/<int:stage_id>/active")
@manager_required
def set_stage_active(stage_id: int):
    stage = _stage(stage_id)
    active = request.form.get("active") == "1"
    if not active:
        in_it = db.session.scalar(sa.select(sa.func.count()).select_from(Job).where(
            Job.stage_id == stage.id, Job.closed_at.is_(None))) or 0
        if in_it:
            flash(f"{in_it} open job{'s are' if in_it != 1 else ' is'} in “{stage.name}”: move "
                  f"{'them' if in_it != 1 else 'it'} first.", "error")
            return _back()
    stage.active = active
    db.session.commit()
    return _back()


@bp.post("/settings/jobs/stages/<int:stage_id>")
@manager_required
def edit_stage(stage_id: int):
    stage = _stage(stage_id)
    form = StageForm(prefix=f"s{stage.id}")
    if not form.validate_on_submit():
        return _page(422, stage_forms={stage.id: form})
    name = form.name.data.strip()
    if any(s.id != stage.id and fold(s.name) == fold(name) for s in stage.job_type.stages):
        form.name.errors = ["This kind of job already has a stage with that name."]
        return _page(422, stage_forms={stage.id: form})
    if (form.outcome.data or None) != stage.outcome and db.session.scalar(
            sa.select(Job.id).where(Job.stage_id == stage.id).limit(1)):
        flash("Jobs are in this stage, so whether it closes a job can't change. Add a new stage instead.", "error")
        return _back()
    stage.name, stage.outcome = name, form.outcome.data or None
    db.session.commit()
    return _back()
