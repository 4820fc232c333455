"""A job's own page and everything done to it: take in, edit, move, photos, print, purchase, message.

Every route loads the job's client through the card's access rule (404 when unknown or not yours).
"""
from __future__ import annotations

import uuid

from flask import abort, current_app, flash, g, redirect, request, url_for
from flask_login import current_user, login_required

from clientbook.clients.access import get_client_or_404
from clientbook.clients.card_views import editable_client
from clientbook.extensions import db
from clientbook.jobs import bp
from clientbook.jobs.forms import JobForm, JobPurchaseForm
from clientbook.jobs.messages import ready_message
from clientbook.jobs.queries import job_history, job_photos, ready_stage_ids
from clientbook.jobs.records import (
    JobError, active_job_types, create_job, job_to_purchase, move_job, next_stage, purchase_draft,
    wish_to_opportunity,
)
from clientbook.media import MAX_UPLOAD_BYTES, PhotoRejected, add_photo, remove_unreferenced
from clientbook.money import format_money_input
from clientbook.models import HANDOFF_CHANNELS, Job, JobType, Photo, Stage, WishlistItem
from clientbook.shop import current_shop, shop_today
from clientbook.staff import active_staff
from clientbook.web import render, safe_next

UPLOAD_SLACK = 64 * 1024  # the rest of a multipart form around the photo
_JOB_ID = 987654321  # a stand-in id while url_for builds a pattern


@bp.app_template_global("job_url")
def job_url(endpoint: str, job_id: int) -> str:
    """url_for(endpoint, job_id=job_id) from one pattern per endpoint and request: the board and
    Today list many jobs with several links each, and a str.replace costs far less than a url_for."""
    patterns = g.setdefault("job_url_patterns", {})
    if endpoint not in patterns:
        patterns[endpoint] = url_for(endpoint, job_id=_JOB_ID)
    return patterns[endpoint].replace(str(_JOB_ID), str(job_id))


def get_job_or_404(job_id: int, *, editing: bool = False) -> Job:
    job = db.session.get(Job, job_id)
    if job is None:
        abort(404)
    (editable_client if editing else get_client_or_404)(job.client_id)
    return job


def too_large_for_a_photo() -> bool:
    return (request.content_length or 0) > MAX_UPLOAD_BYTES + UPLOAD_SLACK


@bp.errorhandler(413)
def photo_too_large(_error):
    return render("jobs/problem.html", status=413, title="Photo too large",
                  message=f"That photo is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB, so it was not saved. "
                          "Take it again at the camera's normal size.")


def uploaded_photo():
    """(bytes, filename) of the form's photo, or None when no file was chosen."""
    upload = request.files.get("photo")
    if upload is None or not upload.filename:
        return None
    data = upload.read(MAX_UPLOAD_BYTES + 1)
    return data, upload.filename


def _next_or(default: str) -> str:
    return safe_next(request.form.get("next") or request.args.get("next"), default)


# ---- take in --------------------------------------------------------------------------------

def _job_form(formdata=..., **kwargs) -> JobForm:
    types = active_job_types()
    if formdata is ...:
        return JobForm(job_types=types, staff=active_staff(), **kwargs)
    return JobForm(formdata=formdata, job_types=types, staff=active_staff(), **kwargs)


@bp.route("/clients/<int:client_id>/jobs/new", methods=["GET", "POST"])
@login_required
def new_job(client_id: int):
    client = editable_client(client_id)
    if request.method == "POST" and too_large_for_a_photo():
        abort(413)
    form = _job_form() if request.method == "POST" else _job_form(
        None, data={"job_type_id": request.args.get("type", type=int), "assigned_to_id":
                    client.assigned_to_id or current_user.id, "due_on": None})
    photo_error = None
    if form.validate_on_submit():
        photo = uploaded_photo()
        job_type = db.session.get(JobType, form.job_type_id.data)
        try:
            job = create_job(client, job_type, title=form.title.data, user=current_user,
                             description=form.description.data, due_on=form.due_on.data,
                             value_cents=form.value.cents, deposit_cents=form.deposit.cents or 0,
                             assigned_to_id=form.assigned_to_id.data or None)
            if photo is not None:
                add_photo(*photo, client_id=client.id, user_id=current_user.id, job_id=job.id)
        except PhotoRejected as exc:
            db.session.rollback()
            photo_error = str(exc)
        except JobError as exc:
            db.session.rollback()
            form.job_type_id.errors = [str(exc)]
        else:
            db.session.commit()
            flash(f"{job_type.name} {job.ticket} taken in for {client.full_name}.", "success")
            return redirect(url_for("jobs.job_page", job_id=job.id), 303)
    status = 422 if (form.errors or photo_error) else 200
    return render("jobs/new.html", status=status, client=client, form=form, photo_error=photo_error)


# ---- the job page ---------------------------------------------------------------------------

def job_page_response(job: Job, status: int = 200, **context):
    client = job.client
    from clientbook.messaging.views import channel_options

    is_ready = job.is_open and job.stage_id in ready_stage_ids()
    return render("jobs/job.html", status=status, job=job, client=client, stages=job.job_type.active_stages,
                  next_stage=next_stage(job), photos=job_photos(job.id), history=job_history(job.id),
                  is_ready=is_ready, channels=channel_options(client) if is_ready else [],
                  token=uuid.uuid4().hex, **context)


@bp.get("/jobs/<int:job_id>")
@login_required
def job_page(job_id: int):
    return job_page_response(get_job_or_404(job_id))


@bp.route("/jobs/<int:job_id>/edit", methods=["GET", "POST"])
@login_required
def edit_job(job_id: int):
    job = get_job_or_404(job_id, editing=True)
    if request.method == "GET":
        form = _job_form(None, obj=job)
        form.value.data = format_money_input(job.value_cents)
        form.deposit.data = format_money_input(job.deposit_cents or None)
        form.assigned_to_id.data = job.assigned_to_id or 0
    else:
        form = _job_form()
        form.job_type_id.data = job.job_type_id  # the kind of a job never changes: its stages belong to it
        if form.validate_on_submit():
            job.title, job.description = form.title.data.strip(), (form.description.data or "").strip()
            job.due_on, job.value_cents = form.due_on.data, form.value.cents
            job.deposit_cents, job.assigned_to_id = form.deposit.cents or 0, form.assigned_to_id.data or None
            db.session.commit()
            flash("Job saved.", "success")
            return redirect(url_for("jobs.job_page", job_id=job.id), 303)
    return render("jobs/edit.html", status=422 if form.errors else 200, job=job, client=job.client, form=form)


@bp.post("/jobs/<int:job_id>/stage")
@login_required
def move(job_id: int):
    """One tap: the job goes to the stage chosen (from its page or the board)."""
    job = get_job_or_404(job_id, editing=True)
    stage_id = request.form.get("stage_id", type=int)
    stage = db.session.get(Stage, stage_id) if stage_id else None
    if stage is None:
        abort(400)
    try:
        change = move_job(job, stage, current_user)
    except JobError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(_next_or(url_for("jobs.job_page", job_id=job.id)), 303)
    db.session.commit()
    if change is not None and not request.form.get("next"):
        flash(f"{job.ticket} is now “{stage.name}”." + (" Reopened." if change.reopened else ""), "success")
    return redirect(_next_or(url_for("jobs.job_page", job_id=job.id)), 303)


# ---- photos on a job ------------------------------------------------------------------------

@bp.post("/jobs/<int:job_id>/photos")
@login_required
def add_job_photo(job_id: int):
    if too_large_for_a_photo():
        abort(413)
    job = get_job_or_404(job_id, editing=True)
    photo = uploaded_photo()
    if photo is None:
        return job_page_response(job, 422, photo_error="Take or choose a photo first.")
    try:
        add_photo(*photo, client_id=job.client_id, user_id=current_user.id, job_id=job.id)
    except PhotoRejected as exc:
        db.session.rollback()
        return job_page_response(job, 422, photo_error=str(exc))
    db.session.commit()
    return redirect(url_for("jobs.job_page", job_id=job.id, _anchor="photos"), 303)


@bp.post("/photos/<int:photo_id>/delete")
@login_required
def delete_photo(photo_id: int):
    photo = db.get_or_404(Photo, photo_id)
    client = editable_client(photo.client_id)
    sha, job_id = photo.sha256, photo.job_id
    db.session.delete(photo)
    db.session.commit()
    remove_unreferenced({sha})
    default = url_for("jobs.job_page", job_id=job_id, _anchor="photos") if job_id else \
        url_for("jobs.client_photos", client_id=client.id)
    return redirect(_next_or(default), 303)


# ---- paper ----------------------------------------------------------------------------------

@bp.get("/jobs/<int:job_id>/ticket")
@login_required
def ticket(job_id: int):
    import segno

    job = get_job_or_404(job_id)
    job_url = url_for("jobs.job_page", job_id=job.id, _external=True)
    if current_app.config.get("SERVER_URL"):
        job_url = current_app.config["SERVER_URL"].rstrip("/") + url_for("jobs.job_page", job_id=job.id)
    qr = segno.make(job_url, error="m")
    return render("jobs/ticket.html", job=job, client=job.client, job_url=job_url,
                  qr_ticket=qr.svg_data_uri(scale=4, border=2), qr_tag=qr.svg_data_uri(scale=2, border=1))


# ---- job -> purchase, wish -> opportunity ---------------------------------------------------

@bp.route("/jobs/<int:job_id>/purchase", methods=["GET", "POST"])
@login_required
def to_purchase(job_id: int):
    job = get_job_or_404(job_id, editing=True)
    if job.purchase_id is not None:
        flash("This job is already on the card as a purchase.", "info")
        return redirect(url_for("clients.card", client_id=job.client_id), 303)
    draft = purchase_draft(job)
    if request.method == "GET":
        form = JobPurchaseForm(formdata=None, data={
            "description": draft.description, "amount": format_money_input(draft.amount_cents),
            "purchased_on": shop_today()})
    else:
        form = JobPurchaseForm()
        if form.validate_on_submit():
            try:
                job_to_purchase(job, purchased_on=form.purchased_on.data,
                                associate_id=job.assigned_to_id or current_user.id,
                                description=form.description.data, amount_cents=form.amount.cents or 0)
            except JobError as exc:
                db.session.rollback()
                form.description.errors = [str(exc)]
            else:
                db.session.commit()
                flash(f"Purchase added to {job.client.full_name}'s card.", "success")
                return redirect(url_for("clients.card", client_id=job.client_id), 303)
    return render("jobs/purchase.html", status=422 if form.errors else 200, job=job, client=job.client, form=form)


@bp.post("/clients/<int:client_id>/wishlist/<int:item_id>/opportunity")
@login_required
def wish_opportunity(client_id: int, item_id: int):
    client = editable_client(client_id)
    item = db.session.get(WishlistItem, item_id)
    if item is None or item.client_id != client.id:
        abort(404)
    try:
        job = wish_to_opportunity(item, current_user)
    except JobError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("clients.card", client_id=client.id), 303)
    db.session.commit()
    return redirect(url_for("jobs.job_page", job_id=job.id), 303)


# ---- the "ready" message -----------------------------------------------------------------

@bp.post("/jobs/<int:job_id>/message/<channel>")
@login_required
def ready_message_send(job_id: int, channel: str):
    """One tap: the "ready to collect" message, through a hand-off app or the shop's provider."""
    from clientbook.messaging import consent
    from clientbook.messaging.outbox import enqueue_delivery, queue_message
    from clientbook.messaging.settings import CHANNEL_LABELS, enabled_channels
    from clientbook.messaging.views import record_handoff

    job = get_job_or_404(job_id, editing=True)
    client = job.client
    if channel not in enabled_channels():
        abort(404)
    problem = consent.why_not(client, channel)
    if problem:
        return job_page_response(job, 422, message_error=problem)
    subject, body, template_id = ready_message(job, current_user, current_shop(), channel)
    token = request.form.get("token") or uuid.uuid4().hex
    if channel in HANDOFF_CHANNELS:
        message, link = record_handoff(client, channel, subject, body, template_id, None, token)
        return render("messaging/handoff_open.html", client=client, message=message, link=link, reminder=None)
    message, created = queue_message(client=client, channel=channel, body=body, subject=subject,
                                     to_address=consent.address_for(client, channel) or "", user_id=current_user.id,
                                     purpose="manual", idempotency_key=f"job-ready:{token}", template_id=template_id)
    db.session.commit()
    if created:
        enqueue_delivery(message.id)
    flash(f"Message to {client.full_name} is on its way ({CHANNEL_LABELS[channel]}).", "success")
    return redirect(url_for("jobs.job_page", job_id=job.id), 303)
