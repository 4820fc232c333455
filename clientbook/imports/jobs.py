"""An import between upload and done: the file and a small JSON record under instance/imports/.

The upload is kept as <token>.csv while a person previews it, and removed once the
import ran (or was cancelled). <token>.json holds the kind, the column mapping, and
then the progress and result, which the progress page polls; it works the same
whether the import runs in the web process (tests) or in the Huey worker.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import time
from pathlib import Path

from flask import current_app

from clientbook.auth import current_shop
from clientbook.imports.client_rows import read_clients
from clientbook.imports.formats import (
    CLIENT_FIELDS, PURCHASE_FIELDS, Format, detect_client_format, generic_format, guess_mapping,
)
from clientbook.imports.reading import Table, parse

KINDS = ("clients", "purchases")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
STALE_AFTER_SECONDS = 24 * 3600


def uploads_dir() -> Path:
    folder = Path(current_app.instance_path) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _paths(token: str) -> tuple[Path, Path]:
    if not _TOKEN.match(token or ""):
        raise KeyError(token)
    folder = uploads_dir()
    return folder / f"{token}.csv", folder / f"{token}.json"


def save_upload(data: bytes, filename: str, kind: str, user_id: int) -> str:
    remove_stale()
    token = secrets.token_urlsafe(24)
    data_path, _ = _paths(token)
    data_path.write_bytes(data)
    write_job(token, {"token": token, "kind": kind, "filename": filename[:200], "user_id": user_id,
                      "mapping": None, "state": "uploaded", "done": 0, "total": 0, "result": None, "error": None,
                      "created": time.time()})
    return token


def load_job(token: str) -> dict | None:
    try:
        _, meta_path = _paths(token)
        return json.loads(meta_path.read_text())
    except (KeyError, FileNotFoundError, json.JSONDecodeError):
        return None


def write_job(token: str, job: dict) -> None:
    _, meta_path = _paths(token)
    temporary = meta_path.with_suffix(".tmp")
    temporary.write_text(json.dumps(job))
    os.replace(temporary, meta_path)  # atomic: the progress poll never reads half a file


def update_job(token: str, **changes) -> dict:
    job = load_job(token) or {}
    job.update(changes)
    write_job(token, job)
    return job


def read_upload(token: str) -> bytes | None:
    try:
        data_path, _ = _paths(token)
        return data_path.read_bytes()
    except (KeyError, FileNotFoundError):
        return None


def delete_upload(token: str, keep_record: bool = True) -> None:
    data_path, meta_path = _paths(token)
    data_path.unlink(missing_ok=True)
    if not keep_record:
        meta_path.unlink(missing_ok=True)


def remove_stale() -> None:
    """Uploads nobody confirmed, and finished records, go after a day."""
    cutoff = time.time() - STALE_AFTER_SECONDS
    for path in uploads_dir().iterdir():
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except FileNotFoundError:
            pass


def table_for(token: str) -> Table | None:
    data = read_upload(token)
    return parse(data) if data is not None else None


def fields_for(kind: str):
    return CLIENT_FIELDS if kind == "clients" else PURCHASE_FIELDS


def format_for(job: dict, table: Table) -> Format | None:
    """The chosen mapping if a person made one, else the recognised export, else None (ask for a mapping)."""
    detected = detect_client_format(table) if job["kind"] == "clients" else None
    if job.get("mapping"):
        # Columns changed by hand on a known export still come from that system (ids, consent source).
        if detected is not None:
            return generic_format(job["mapping"], label=detected.label, source=detected.source)
        return generic_format(job["mapping"])
    return detected


def suggested_mapping(job: dict, table: Table) -> dict[str, str]:
    return job.get("mapping") or guess_mapping(table, fields_for(job["kind"]))


def shop_country() -> str:
    shop = current_shop()
    return shop.country if shop else "US"


def plan_for(job: dict, table: Table, fmt: Format):
    """The preview plan (nothing written) of a client or purchase import."""
    from clientbook.imports.purchases import plan_purchases
    from clientbook.imports.writing import plan_clients

    if job["kind"] == "clients":
        return plan_clients(read_clients(table, fmt, shop_country()))
    return plan_purchases(table, fmt, shop_country())
