"""Import pages (upload -> columns -> preview -> confirm -> progress), the export page, and the demo book."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import (
    Blueprint, Response, abort, flash, redirect, request, stream_with_context, url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, RadioField

from clientbook.extensions import db
from clientbook.imports import jobs
from clientbook.imports.demo import DemoRefused, seed_demo as load_demo_book
from clientbook.imports.exporting import csv_chunks
from clientbook.imports.formats import detect_client_format, missing_for_clients, missing_for_purchases
from clientbook.imports.reading import UnreadableFile, check_filename, read_table
from clientbook.imports.tasks import problems_for_display, run_import_task
from clientbook.models import Client, ImportJob, utcnow
from clientbook.roles import manager_required, owner_required
from clientbook.staff import active_staff
from clientbook.web import hx_redirect, render

bp = Blueprint("imports", __name__)

PROBLEMS_SHOWN = 200


class UploadForm(FlaskForm):
    kind = RadioField("What is in the file?", default="clients",
                      choices=[("clients", "Clients"), ("purchases", "Purchases")])
    file = FileField("CSV file")


class ExportForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form: downloading changes nothing

    include_archived = BooleanField("Include archived clients")


def _own_job(token: str) -> ImportJob:
    job = jobs.get_job(token)
    if job is None or job.user_id != current_user.id:
        abort(404)
    return job


def _table_or_restart(job: ImportJob):
    table = jobs.table_for(job)
    if table is None:
        flash("That upload has expired. Upload the file again.", "warning")
    return table


# ---- upload ---------------------------------------------------------------------------------

@bp.get("/import")
@manager_required
def start():
    return render("imports/start.html", form=UploadForm())


@bp.post("/import")
@manager_required
def upload():
    form = UploadForm()
    if form.validate_on_submit():
        upload_file = form.file.data
        try:
            check_filename(getattr(upload_file, "filename", None))
            data = upload_file.read()
            table = read_table(data)
        except UnreadableFile as exc:
            form.file.errors.append(str(exc))
        else:
            job = jobs.save_upload(data, upload_file.filename, form.kind.data, current_user.id)
            if jobs.format_for(job, table) is None:
                if form.kind.data == "purchases" and not missing_for_purchases(jobs.suggested_mapping(job, table)):
                    job.mapping = jobs.suggested_mapping(job, table)
                    db.session.commit()
                    return redirect(url_for("imports.preview", token=job.token), 303)
                return redirect(url_for("imports.mapping", token=job.token), 303)
            return redirect(url_for("imports.preview", token=job.token), 303)
    elif not form.file.errors:
        form.file.errors.append("Choose a CSV file to upload.")
    return render("imports/start.html", form=form, status=422)


# ---- columns (any CSV that isn't a known export) ----------------------------------------------

@bp.get("/import/<token>/columns")
@manager_required
def mapping(token: str):
    job = _own_job(token)
    table = _table_or_restart(job)
    if table is None:
        return redirect(url_for("imports.start"), 303)
    return _render_mapping(job, table, jobs.suggested_mapping(job, table))


def _render_mapping(job: ImportJob, table, chosen: dict[str, str], error: str | None = None, status: int = 200):
    detected = detect_client_format(table) if job.kind == "clients" else None
    return render("imports/mapping.html", job=job, fields=jobs.fields_for(job.kind), headers=table.headers,
                  samples=table.samples(), chosen=chosen, error=error, row_count=len(table.rows),
                  detected=detected, status=status)


@bp.post("/import/<token>/columns")
@manager_required
def save_mapping(token: str):
    job = _own_job(token)
    if job.state != "uploaded":
        return redirect(url_for("imports.progress", token=token), 303)
    table = _table_or_restart(job)
    if table is None:
        return redirect(url_for("imports.start"), 303)
    headers = set(table.headers)
    chosen = {f.name: request.form.get(f.name, "") for f in jobs.fields_for(job.kind)}
    chosen = {name: header for name, header in chosen.items() if header in headers}
    check = missing_for_clients if job.kind == "clients" else missing_for_purchases
    error = check(chosen)
    if error:
        return _render_mapping(job, table, chosen, error=error, status=422)
    job.mapping = chosen
    db.session.commit()
    return redirect(url_for("imports.preview", token=token), 303)


# ---- preview, confirm, progress ----------------------------------------------------------------

FIRST_ROWS_SHOWN = 5


@bp.get("/import/<token>")
@manager_required
def preview(token: str):
    job = _own_job(token)
    if job.state != "uploaded":
        return redirect(url_for("imports.progress", token=token), 303)
    table = _table_or_restart(job)
    if table is None:
        return redirect(url_for("imports.start"), 303)
    fmt = jobs.format_for(job, table)
    if fmt is None:
        return redirect(url_for("imports.mapping", token=token), 303)
    return _render_preview(job, table, fmt)


def _render_preview(job: ImportJob, table, fmt, error: str | None = None, status: int = 200):
    plan = jobs.plan_for(job, table, fmt)
    problems = plan.reading.problems if job.kind == "clients" else plan.problems
    first_rows = plan.reading.rows[:FIRST_ROWS_SHOWN] if job.kind == "clients" else []
    return render("imports/preview.html", job=job, fmt=fmt, plan=plan, table=table,
                  problems=problems_for_display(problems[:PROBLEMS_SHOWN]), problem_count=len(problems),
                  columns=_columns_used(fmt, table, job.kind), first_rows=first_rows,
                  people=active_staff(), error=error, status=status)


def _columns_used(fmt, table, kind: str) -> list[tuple[str, str]]:
    labels = {f.name: f.label for f in jobs.fields_for(kind)}
    resolved = fmt.resolve(table)
    return [(labels.get(name, name.replace("_", " ").capitalize()), ", ".join(table.headers[i] for i in positions))
            for name, positions in resolved.items()]


@bp.post("/import/<token>/confirm")
@manager_required
def confirm(token: str):
    job = _own_job(token)
    if job.state == "uploaded":
        table = _table_or_restart(job)
        if table is None:
            return redirect(url_for("imports.start"), 303)
        if jobs.format_for(job, table) is None:
            return _render_mapping(job, table, jobs.suggested_mapping(job, table), status=422,
                                   error="Choose which column holds what before importing this file.")
        raw_assignee = request.form.get("assign_to_id", "")
        assignee = None
        if raw_assignee:
            assignee = next((u for u in active_staff() if str(u.id) == raw_assignee), None)
            if assignee is None:
                return _render_preview(job, table, jobs.format_for(job, table), status=422,
                                       error="Choose someone from the list, or nobody (the store book).")
        # One conditional UPDATE: of two confirms (double click, two tabs) only one queues the import.
        # heartbeat_at: when it was queued, so the sweep gives the worker time to pick it up.
        if jobs.claim(job.id, ("uploaded",), "queued", assign_to_id=assignee.id if assignee else None,
                      heartbeat_at=utcnow()):
            run_import_task(token)
    return hx_redirect(url_for("imports.progress", token=token))


@bp.post("/import/<token>/retry")
@manager_required
def retry(token: str):
    job = _own_job(token)
    if job.state == "failed":
        if jobs.read_upload(token) is None:
            flash("The uploaded file is no longer kept. Upload it again.", "warning")
            return hx_redirect(url_for("imports.start"))
        if jobs.claim(job.id, ("failed",), "queued", error="", done=0, total=0, finished_at=None,
                      heartbeat_at=utcnow()):
            run_import_task(token)
    return hx_redirect(url_for("imports.progress", token=token))


@bp.get("/import/<token>/progress")
@manager_required
def progress(token: str):
    job = _own_job(token)
    if job.state == "uploaded":
        return redirect(url_for("imports.preview", token=token), 303)
    return render("imports/progress.html", "progress", job=job)


@bp.post("/import/<token>/cancel")
@manager_required
def cancel(token: str):
    job = _own_job(token)
    if jobs.claim(job.id, ("uploaded", "failed"), "cancelled", finished_at=utcnow()):
        jobs.delete_upload(token)
        flash("Import cancelled; nothing was saved.", "info")
    return hx_redirect(url_for("imports.start"))


# ---- export -------------------------------------------------------------------------------------

@bp.get("/export")
@manager_required
def export_page():
    live = sa.select(sa.func.count()).select_from(Client).where(Client.merged_into_id.is_(None))
    live_count = db.session.scalar(live.where(Client.archived_at.is_(None)))
    archived_count = db.session.scalar(live.where(Client.archived_at.is_not(None)))
    return render("imports/export.html", form=ExportForm(request.args), live_count=live_count,
                  archived_count=archived_count)


@bp.get("/export/clients.csv")
@manager_required
def download_clients():
    include_archived = request.args.get("include_archived") in ("y", "1", "true", "on")
    filename = f"clients-{date.today().isoformat()}.csv"

    def body():
        yield "\ufeff"  # lets spreadsheet programs recognise UTF-8 (accents stay intact)
        yield from csv_chunks(include_archived)

    return Response(stream_with_context(body()), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             "Cache-Control": "no-store"})


# ---- demo book ------------------------------------------------------------------------------------

@bp.post("/demo")
@owner_required
def seed_demo():
    try:
        summary = load_demo_book()
    except DemoRefused as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("settings.welcome"), 303)
    db.session.commit()
    flash(f"Demo book loaded: {summary.clients} clients with purchases, preferences and dates.", "success")
    return redirect(url_for("home"), 303)
