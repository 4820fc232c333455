"""The shop itself, its staff, and login bookkeeping."""
from __future__ import annotations

import enum
from datetime import datetime, time, timezone

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from clientbook.extensions import db


def utcnow() -> datetime:
    """Naive UTC instant: every stored instant is UTC (SQLite keeps no offsets)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Role(str, enum.Enum):
    OWNER = "owner"
    MANAGER = "manager"
    ASSOCIATE = "associate"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class Shop(db.Model):
    """One row: the shop this install serves."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    country: Mapped[str] = mapped_column(sa.String(2))  # ISO 3166 alpha-2, for phone parsing
    timezone: Mapped[str] = mapped_column(sa.String(64))  # IANA name
    currency: Mapped[str] = mapped_column(sa.String(3))  # ISO 4217
    postal_address: Mapped[str] = mapped_column(sa.Text, default="")
    opening_time: Mapped[time] = mapped_column(sa.Time, default=time(10, 0))
    quiet_hours_start: Mapped[time] = mapped_column(sa.Time, default=time(8, 0))
    quiet_hours_end: Mapped[time] = mapped_column(sa.Time, default=time(21, 0))
    # The store book: associates find and open every client unless the shop chooses to be strict.
    associates_see_all_clients: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    attribution_days: Mapped[int] = mapped_column(default=7)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class User(db.Model):
    session_token: str = ""  # set per request by clientbook.sessions, never stored
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)  # stored lower-case
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[Role] = mapped_column(sa.Enum(Role, native_enum=False, length=16))
    active: Mapped[bool] = mapped_column(default=True)
    digest_enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    # Flask-Login protocol
    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        # Flask-Login stores this in the cookies: the server-side session's token, never the user id.
        return self.session_token

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.strip() else ""

    @property
    def is_manager(self) -> bool:
        """Managers and owners see the whole book and manage the shop's work."""
        return self.role in (Role.OWNER, Role.MANAGER)

    @property
    def is_owner(self) -> bool:
        return self.role == Role.OWNER


class LoginAttempt(db.Model):
    """Failed logins, by account and by address, for rate limiting across workers."""

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(300), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
