"""Keeps ClientSearchToken (and each client's sort_name) in step with clients. Querying lives with
the clients feature.

Tokens: folded words of names and email (whole address and local part), tags
prefixed with "#", phone digits ("p:" + national/E.164 digits) and reversed phone
digits ("r:" + reversed) so that a phone's last digits are a prefix too.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

import sqlalchemy as sa

from clientbook.contacts import digits
from clientbook.extensions import db
from clientbook.models import Client, ClientSearchToken, ClientTag
from clientbook.models.clients import client_sort_name
from clientbook.text import fold

MAX_TOKEN_LENGTH = 120
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def words(text: str | None) -> list[str]:
    return _WORD.findall(fold(text))


def client_tokens(first_name: str, last_name: str, email: str | None, phone: str | None, tags: Iterable[str]) -> set[str]:
    tokens: set[str] = set(words(first_name)) | set(words(last_name))
    if email:
        folded = fold(email)
        tokens.add(folded)
        tokens.update(words(folded.split("@")[0]))
    phone_digits = digits(phone)
    if phone_digits:
        tokens.add("p:" + phone_digits)
        tokens.add("r:" + phone_digits[::-1])
    tokens.update("#" + fold(tag).strip() for tag in tags if tag.strip())
    return {t[:MAX_TOKEN_LENGTH] for t in tokens if t}


def refresh_search_tokens(client_ids: Iterable[int]) -> None:
    """Rebuild the tokens of these clients (call after any change to names, email, phone or tags).

    Set-based: one delete and one insert per batch, so imports can call it for thousands of ids.
    Set-based writes (imports, undo) bypass the ORM, so the sort key is brought up to date here too.
    """
    ids = list(client_ids)
    for start in range(0, len(ids), 500):
        batch = ids[start:start + 500]
        db.session.execute(sa.delete(ClientSearchToken).where(ClientSearchToken.client_id.in_(batch)))
        rows = db.session.execute(
            sa.select(Client.id, Client.first_name, Client.last_name, Client.email, Client.phone, Client.sort_name,
                      Client.merged_into_id)
            .where(Client.id.in_(batch))
        ).all()
        sort_names = {row.id: client_sort_name(row.first_name, row.last_name, row.email, row.phone) for row in rows}
        stale = [{"client_id": row.id, "sort_name": sort_names[row.id]} for row in rows
                 if sort_names[row.id] != row.sort_name]
        if stale:
            db.session.execute(sa.update(Client.__table__).where(Client.id == sa.bindparam("client_id"))
                               .values(sort_name=sa.bindparam("sort_name")), stale)
        rows = [row for row in rows if row.merged_into_id is None]
        tags: dict[int, list[str]] = {}
        for client_id, tag in db.session.execute(
            sa.select(ClientTag.client_id, ClientTag.tag).where(ClientTag.client_id.in_(batch))
        ):
            tags.setdefault(client_id, []).append(tag)
        values = [
            {"client_id": row.id, "token": token, "sort_key": sort_names[row.id]}
            for row in rows
            for token in client_tokens(row.first_name, row.last_name, row.email, row.phone, tags.get(row.id, []))
        ]
        if values:
            db.session.execute(sa.insert(ClientSearchToken.__table__), values)  # core insert: no ORM bookkeeping
