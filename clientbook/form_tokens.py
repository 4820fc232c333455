"""One-time form tokens: a form that is sent twice (a double tap, a retry after "Busy, try
again", the browser re-posting on Back) saves once.

Each form carries a fresh random token in a hidden field (`{{ form_token_field() }}`); the view
calls `first_submission()` just before saving, in the same transaction. The token's row in
`used_form_token` (primary key, so UNIQUE) commits together with the change, so a second copy
of the form finds it and saves nothing. Forms without a token (older pages) are saved as before.
"""
from __future__ import annotations

import re
import uuid
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask, request
from markupsafe import Markup
from sqlalchemy.exc import IntegrityError

from clientbook.extensions import db
from clientbook.models import UsedFormToken, utcnow

FIELD = "form_token"
TOKEN = re.compile(r"^[0-9a-f]{32}$")
KEEP_FOR = timedelta(days=30)


def form_token_field() -> Markup:
    return Markup(f'<input type="hidden" name="{FIELD}" value="{uuid.uuid4().hex}">')


def first_submission() -> bool:
    """False when this form's token was already used (the change it carries is already saved)."""
    token = request.form.get(FIELD, "")
    if not TOKEN.match(token):
        return True
    if db.session.get(UsedFormToken, token) is not None:
        return False
    try:
        with db.session.begin_nested():  # a concurrent copy (PostgreSQL) loses on the primary key
            db.session.add(UsedFormToken(token=token))
    except IntegrityError:
        return False
    return True


def prune_used_tokens() -> int:
    """Forget tokens older than any page still open on a tablet could be."""
    return db.session.execute(sa.delete(UsedFormToken).where(UsedFormToken.used_at < utcnow() - KEEP_FOR)).rowcount


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(form_token_field=form_token_field)
