"""An import between upload and done: an ImportJob row, and the uploaded file under instance/imports/.

The upload is kept as <token>.csv (0600) while a person previews it and while the
import may still be tried again; it is removed once the import finished or was
cancelled, and by the sweep a day after a failure. The job's state lives in the
database, so a confirm is claimed by one conditional UPDATE (a double click can't
import twice) and a run whose process died is found and undone (see runner.sweep).
"""
from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from clientbook.extensions import db
from clientbook.imports.client_rows import read_clients
from clientbook.imports.formats import (
    CLIENT_FIELDS, PURCHASE_FIELDS, Format, detect_client_format, generic_format, guess_mapping,
)
from clientbook.imports.reading import Table, parse
from clientbook.models import ImportJob, utcnow
from clientbook.shop import current_shop

KINDS = ("clients", "purchases")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


def uploads_dir() -> Path:
    folder = Path(current_app.instance_path) / "imports"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def upload_path(token: str) -> Path:
    if not _TOKEN.match(token or ""):
        raise KeyError(token)
    return uploads_dir() / f"{token}.csv"


def save_upload(data: bytes, filename: str, kind: str, user_id: int) -> ImportJob:
    token = secrets.token_urlsafe(24)
    path = upload_path(token)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # client details: owner only
    with os.fdopen(descriptor, "wb") as stream:
        stream.write(data)
    job = ImportJob(token=token, kind=kind, filename=(filename or "")[:200], user_id=user_id, state="uploaded")
    db.session.add(job)
    db.session.commit()
    return job


def get_job(token: str) -> ImportJob | None:
    if not _TOKEN.match(token or ""):
        return None
    return db.session.scalar(sa.select(ImportJob).where(ImportJob.token == token))


def claim(job_id: int, from_states: tuple[str, ...], to_state: str, **values) -> bool:
    """Move the job on only if it is still in one of from_states: one UPDATE, so two clicks can't both win."""
    claimed = db.session.execute(
        sa.update(ImportJob).where(ImportJob.id == job_id, ImportJob.state.in_(from_states))
        .values(state=to_state, **values).execution_options(synchronize_session=False)
    ).rowcount == 1
    db.session.commit()
    return claimed


def read_upload(token: str) -> bytes | None:
    try:
        return upload_path(token).read_bytes()
    except (KeyError, FileNotFoundError):
        return None


def delete_upload(token: str) -> None:
    upload_path(token).unlink(missing_ok=True)


def end(job: ImportJob, state: str, **values) -> None:
    """Record how the job ended; the uploaded file goes unless it may still be tried again."""
    for name, value in values.items():
        setattr(job, name, value)
    job.state, job.finished_at = state, utcnow()
    db.session.commit()
    if state != "failed":
        delete_upload(job.token)


def table_for(job: ImportJob) -> Table | None:
    data = read_upload(job.token)
    return parse(data) if data is not None else None


def fields_for(kind: str):
    return CLIENT_FIELDS if kind == "clients" else PURCHASE_FIELDS


def format_for(job: ImportJob, table) -> Format | None:
    """The chosen mapping if a person made one, else the recognised export, else None (ask for a mapping)."""
    detected = detect_client_format(table) if job.kind == "clients" else None
    if job.mapping:
        # Columns changed by hand on a known export still come from that system (ids, consent source).
        if detected is not None:
            return generic_format(job.mapping, label=detected.label, source=detected.source)
        return generic_format(job.mapping)
    return detected


def suggested_mapping(job: ImportJob, table) -> dict[str, str]:
    return job.mapping or guess_mapping(table, fields_for(job.kind))


def shop_country() -> str:
    shop = current_shop()
    return shop.country if shop else "US"


def plan_for(job: ImportJob, table: Table, fmt: Format):
    """The preview plan (nothing written) of a client or purchase import."""
    from clientbook.imports.purchases import plan_purchases
    from clientbook.imports.writing import plan_clients

    if job.kind == "clients":
        return plan_clients(read_clients(table, fmt, shop_country()))
    return plan_purchases(table, fmt, shop_country())
