"""Privacy duties (GDPR / CCPA): give a client everything held about them, or erase them.

Export: one zip with `client.json` (every row about the client, table by table), one CSV per
table (formulas neutralised) and their photos. Erase: the client's card, notes, dates, wishes,
messages and conversations, reminders, appointments, jobs and photos go; their email and phone
stay on the suppression list only as hashes, so they are never messaged again; their purchases
stay, without the POS order number, on one archived "Erased clients" card, so the shop's sales
figures don't change. Both are for owners and managers, and both are logged (without the name).
"""
from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask import Blueprint, Flask, Response, abort, flash, redirect, request, url_for
from flask_login import current_user

from clientbook.clients.access import get_client_or_404
from clientbook.extensions import db
from clientbook.imports.exporting import neutralise
from clientbook.media import client_media_paths, media_root, remove_unreferenced
from clientbook.messaging.consent import suppress
from clientbook.models import Client, ClientExternalId, Message, Photo, PrivacyRequest, Purchase, Thread, utcnow
from clientbook.roles import manager_required
from clientbook.web import render

bp = Blueprint("privacy", __name__, url_prefix="/clients")

# Derived from the card itself (rebuilt on demand), not information about the person.
NOT_EXPORTED = {"client_search_token"}
ERASED_CLIENTS_SOURCE, ERASED_CLIENTS_VALUE = "clientbook", "erased-clients"
ERASED_REASON = "erased on request"


# ---- what is held about one client --------------------------------------------------------------

def held_about(client_id: int) -> dict[str, list[dict]]:
    """Rows about the client in every table: their own row, rows pointing at it, and rows pointing
    at those (purchase items, job stages...), plus the messages of their conversation threads."""
    tables = {table.name: table for table in db.metadata.sorted_tables}
    found: dict[str, list[dict]] = {"client": _rows(tables["client"], tables["client"].c.id == client_id)}
    thread_ids = [row["id"] for row in _rows(tables["thread"], tables["thread"].c.client_id == client_id)]
    first_level = {}
    for table in tables.values():
        if table.name in NOT_EXPORTED or table.name == "client" or "client_id" not in table.c:
            continue
        condition = table.c.client_id == client_id
        if table.name == "message" and thread_ids:
            condition = sa.or_(condition, table.c.thread_id.in_(thread_ids))
        first_level[table.name] = _rows(table, condition)
    for table in tables.values():  # second level: children of what was found
        for fk in table.foreign_keys:
            parent = fk.column.table.name
            if parent in first_level and first_level[parent] and table.name not in first_level \
                    and table.name not in NOT_EXPORTED and "client_id" not in table.c:
                ids = [row[fk.column.name] for row in first_level[parent]]
                found.setdefault(table.name, []).extend(_rows(table, fk.parent.in_(ids)))
    found.update(first_level)
    return {name: rows for name, rows in found.items() if rows}


def _rows(table: sa.Table, condition) -> list[dict]:
    return [dict(row._mapping) for row in db.session.execute(sa.select(table).where(condition).order_by(
        *table.primary_key.columns))]


def _plain(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


def export_zip(client: Client) -> bytes:
    data = held_about(client.id)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("client.json", json.dumps(
            {"exported_at": utcnow().isoformat(timespec="seconds") + "Z",
             "tables": {name: [{k: _plain(v) for k, v in row.items()} for row in rows]
                        for name, rows in data.items()}}, ensure_ascii=False, indent=2))
        for name, rows in data.items():
            text = io.StringIO()
            writer = csv.writer(text)
            writer.writerow(rows[0].keys())
            for row in rows:
                writer.writerow(neutralise("" if v is None else str(_plain(v))) for v in row.values())
            archive.writestr(f"{name}.csv", "\ufeff" + text.getvalue())
        root = media_root()
        for path in client_media_paths(client.id):
            archive.write(path, f"photos/{path.relative_to(root).as_posix()}", compress_type=zipfile.ZIP_STORED)
    return buffer.getvalue()


# ---- erase ----------------------------------------------------------------------------------------

def erased_clients_card() -> Client:
    """The one archived card that keeps erased clients' purchases for the shop's figures."""
    card = db.session.scalar(sa.select(Client).join(ClientExternalId).where(
        ClientExternalId.source == ERASED_CLIENTS_SOURCE, ClientExternalId.value == ERASED_CLIENTS_VALUE))
    if card is None:
        card = Client(first_name="Erased", last_name="clients", archived_at=utcnow())
        db.session.add(card)
        db.session.flush()
        db.session.add(ClientExternalId(client_id=card.id, source=ERASED_CLIENTS_SOURCE, value=ERASED_CLIENTS_VALUE))
    return card


def erase_client(client: Client, user_id: int | None) -> str:
    """Erase the client (and cards merged into it) in one transaction, then their photo files;
    returns what was done, in words."""
    client_id = client.id
    cards = [client, *db.session.scalars(sa.select(Client).where(Client.merged_into_id == client_id))]
    ids = [card.id for card in cards]
    for card in cards:
        for channel, address in (("email", card.email), ("sms", card.phone)):
            suppress(channel, address, ERASED_REASON)  # hashed: the address itself isn't kept
    anonymous = erased_clients_card()
    kept = db.session.execute(sa.update(Purchase).where(Purchase.client_id.in_(ids)).values(
        client_id=anonymous.id, external_id=None).execution_options(synchronize_session=False)).rowcount
    thread_ids = list(db.session.scalars(sa.select(Thread.id).where(Thread.client_id.in_(ids))))
    removed = db.session.execute(sa.delete(Message).where(sa.or_(
        Message.client_id.in_(ids), Message.thread_id.in_(thread_ids) if thread_ids else sa.false()))
        .execution_options(synchronize_session=False)).rowcount
    db.session.execute(sa.delete(Thread).where(Thread.id.in_(thread_ids)).execution_options(
        synchronize_session=False))
    photo_hashes = set(db.session.scalars(sa.select(Photo.sha256).where(Photo.client_id.in_(ids))))
    db.session.execute(sa.delete(Photo).where(Photo.client_id.in_(ids)).execution_options(
        synchronize_session=False))
    db.session.execute(sa.update(PrivacyRequest).where(PrivacyRequest.client_id.in_(ids)).values(summary=""))
    db.session.execute(sa.update(Client).where(Client.merged_into_id.in_(ids)).values(merged_into_id=None))
    db.session.execute(sa.delete(Client).where(Client.id.in_(ids)).execution_options(synchronize_session=False))
    summary = (f"{len(ids)} card(s) erased; {kept} purchase(s) kept without a name; "
               f"{removed} message(s) and {len(photo_hashes)} photo(s) removed.")
    db.session.add(PrivacyRequest(kind="erase", client_id=client_id, user_id=user_id, summary=summary))
    db.session.commit()
    remove_unreferenced(photo_hashes)  # files only once the rows are gone for good
    return summary


# ---- pages -----------------------------------------------------------------------------------------

@bp.get("/<int:client_id>/privacy")
@manager_required
def privacy_page(client_id: int):
    client = get_client_or_404(client_id)
    history = list(db.session.scalars(sa.select(PrivacyRequest).where(PrivacyRequest.client_id == client.id)
                                      .order_by(PrivacyRequest.done_at.desc())))
    return render("privacy/client.html", client=client, history=history, error=None)


@bp.post("/<int:client_id>/privacy/export")
@manager_required
def export(client_id: int):
    client = get_client_or_404(client_id)
    content = export_zip(client)
    db.session.add(PrivacyRequest(kind="export", client_id=client.id, user_id=current_user.id,
                                  summary=f"{len(content) / 1000:.0f} kB"))
    db.session.commit()
    response = Response(content, mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="client-{client.id}-data.zip"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/<int:client_id>/privacy/erase")
@manager_required
def erase(client_id: int):
    client = get_client_or_404(client_id)
    if request.form.get("confirm", "").strip().casefold() != "erase":
        history = list(db.session.scalars(sa.select(PrivacyRequest).where(PrivacyRequest.client_id == client.id)))
        return render("privacy/client.html", status=422, client=client, history=history,
                      error='Type "erase" to confirm: this cannot be undone.')
    summary = erase_client(client, current_user.id)
    flash(f"The client was erased. {summary}", "success")
    return redirect(url_for("clients.index"), 303)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
