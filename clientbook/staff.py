"""The shop's people as the pick lists show them."""
from __future__ import annotations

import sqlalchemy as sa

from clientbook.extensions import db
from clientbook.models import User


def active_staff() -> list[User]:
    """Everyone who can sign in, by name: the one query behind every "assigned to" list."""
    return db.session.scalars(sa.select(User).where(User.active.is_(True)).order_by(User.name, User.id)).all()


def staff_roster() -> list[User]:
    """Everyone, active first (the staff page; deactivated people stay listed to reactivate)."""
    return db.session.scalars(sa.select(User).order_by(User.active.desc(), User.name, User.id)).all()
