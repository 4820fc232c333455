"""The client book: clients and everything on their card and timeline."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clientbook.extensions import db
from clientbook.models.core import User, utcnow
from clientbook.text import fold

CHANNELS = ("email", "sms")
PREFERRED_CHANNELS = ("sms", "email", "whatsapp", "phone")
DATE_KINDS = ("birthday", "anniversary", "custom")
SORT_NAME_LENGTH = 255


def client_sort_name(first_name: str | None, last_name: str | None, email: str | None = None,
                     phone: str | None = None) -> str:
    """The key the client list sorts by: folded last name, then first name ("Étienne" among the Es).

    A client without a name sorts by what the list shows instead (email, then phone).
    """
    name = " ".join(part for part in (fold(last_name).strip(), fold(first_name).strip()) if part)
    return (name or fold(email or phone or "").strip())[:SORT_NAME_LENGTH]


class Client(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    first_name: Mapped[str] = mapped_column(sa.String(100), default="")
    last_name: Mapped[str] = mapped_column(sa.String(100), default="")
    email: Mapped[str | None] = mapped_column(sa.String(254), index=True)  # stored lower-case
    # E.164 when it parsed against the shop's country; otherwise the original text.
    phone: Mapped[str | None] = mapped_column(sa.String(40), index=True)
    phone_valid: Mapped[bool] = mapped_column(default=False)
    address: Mapped[str] = mapped_column(sa.Text, default="")
    timezone: Mapped[str | None] = mapped_column(sa.String(64))  # falls back to the shop's
    preferred_channel: Mapped[str | None] = mapped_column(sa.String(16))

    # Consent per channel: state, when, and how it was obtained.
    email_opt_in: Mapped[bool] = mapped_column(default=False)
    email_opt_in_at: Mapped[datetime | None]
    email_opt_in_source: Mapped[str] = mapped_column(sa.String(120), default="")
    sms_opt_in: Mapped[bool] = mapped_column(default=False)
    sms_opt_in_at: Mapped[datetime | None]
    sms_opt_in_source: Mapped[str] = mapped_column(sa.String(120), default="")

    assigned_to_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    archived_at: Mapped[datetime | None]
    # Set when this client was merged into another; the row stays for its history.
    merged_into_id: Mapped[int | None] = mapped_column(sa.ForeignKey("client.id"))
    # History from the point of sale before the import (Shopify "Total Spent" / "Total Orders"),
    # added to the purchases recorded here for lifetime spend and visits.
    prior_spent_cents: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    prior_orders: Mapped[int] = mapped_column(default=0, server_default="0")
    prior_as_of: Mapped[date | None]
    # client_sort_name() of the row: kept by the ORM events below and, for set-based writes
    # (imports, undo), by search_index.refresh_search_tokens.
    sort_name: Mapped[str] = mapped_column(sa.String(SORT_NAME_LENGTH), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    assigned_to: Mapped[User | None] = relationship(foreign_keys=[assigned_to_id])
    tags: Mapped[list[ClientTag]] = relationship(
        back_populates="client", cascade="all, delete-orphan", order_by="ClientTag.tag"
    )
    external_ids: Mapped[list[ClientExternalId]] = relationship(
        back_populates="client", cascade="all, delete-orphan"
    )
    preferences: Mapped[list[Preference]] = relationship(
        back_populates="client", cascade="all, delete-orphan"
    )
    important_dates: Mapped[list[ImportantDate]] = relationship(
        back_populates="client", cascade="all, delete-orphan", order_by="(ImportantDate.month, ImportantDate.day)"
    )

    __table_args__ = (
        sa.Index("ix_client_name", "last_name", "first_name"),
        # The list in name order, and search walking it for common prefixes; id breaks ties so
        # "load more" pages neither repeat nor skip anyone.
        sa.Index("ix_client_sort_name", "sort_name", "id"),
        # An associate's own clients in name order: the "my clients" list walks this index.
        sa.Index("ix_client_assignee_sort_name", "assigned_to_id", "sort_name", "id"),
    )

    @property
    def full_name(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip()
        return name or (self.email or self.phone or f"Client #{self.id}")

    @property
    def tag_names(self) -> list[str]:
        """As written, in alphabetical order whatever the case ("bridal", "VIP")."""
        return sorted((t.tag for t in self.tags), key=str.casefold)

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


@sa.event.listens_for(Client, "before_insert")
@sa.event.listens_for(Client, "before_update")
def _keep_sort_name(_mapper, _connection, client: Client) -> None:
    client.sort_name = client_sort_name(client.first_name, client.last_name, client.email, client.phone)


class ClientTag(db.Model):
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("client.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(sa.String(60), primary_key=True, index=True)
    client: Mapped[Client] = relationship(back_populates="tags")


class ClientExternalId(db.Model):
    """An id the client has in another system (POS, e-commerce)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("client.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(sa.String(40))  # e.g. "shopify", "square", "pos"
    value: Mapped[str] = mapped_column(sa.String(120))
    client: Mapped[Client] = relationship(back_populates="external_ids")

    __table_args__ = (sa.UniqueConstraint("source", "value", name="uq_external_id"),)


class ClientSearchToken(db.Model):
    """Normalised words a client can be found by (names, email, phone digits, tags).

    Searching is a prefix range scan on this B-tree index, which behaves the same on
    SQLite and PostgreSQL. Phone numbers are also stored reversed so "last digits"
    becomes a prefix too.
    """

    token: Mapped[str] = mapped_column(sa.String(120), primary_key=True)
    client_id: Mapped[int] = mapped_column(
        sa.ForeignKey("client.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    # The client's sort_name, copied so a search's first page in name order is chosen from the
    # index alone, without reading the rows of the tens of thousands of clients a prefix matches.
    sort_key: Mapped[str] = mapped_column(sa.String(SORT_NAME_LENGTH), default="", server_default="")

    __table_args__ = (
        # "Does this client have a token starting with p?" answered from the index alone:
        # multi-word search checks the other words of each candidate this way.
        sa.Index("ix_client_search_token_client_token", "client_id", "token"),
        sa.Index("ix_client_search_token_sorted", "token", "sort_key", "client_id"),
    )


class PreferenceKey(db.Model):
    """A shop-editable preference name (ring size, dress size, metal...)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(60), unique=True)
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)


class Preference(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("client.id", ondelete="CASCADE"), index=True)
    key_id: Mapped[int] = mapped_column(sa.ForeignKey("preference_key.id", ondelete="CASCADE"))
    value: Mapped[str] = mapped_column(sa.String(200))
    client: Mapped[Client] = relationship(back_populates="preferences")
    key: Mapped[PreferenceKey] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("client_id", "key_id", name="uq_preference_client_key"),
        sa.Index("ix_preference_key_value", "key_id", "value"),
    )


class ImportantDate(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("client.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(16))  # one of DATE_KINDS
    label: Mapped[str] = mapped_column(sa.String(80), default="")
    month: Mapped[int]
    day: Mapped[int]
    year: Mapped[int | None]
    for_whom: Mapped[str] = mapped_column(sa.String(120), default="")  # e.g. "wife Anna"
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    client: Mapped[Client] = relationship(back_populates="important_dates")

    __table_args__ = (sa.Index("ix_important_date_month_day", "month", "day"),)

    @property
    def title(self) -> str:
        base = self.label if self.kind == "custom" and self.label else self.kind.capitalize()
        return f"{self.for_whom}'s {base.lower()}" if self.for_whom else base


class Purchase(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("client.id", ondelete="CASCADE"))
    purchased_on: Mapped[date]
    associate_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    total_cents: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    external_id: Mapped[str | None] = mapped_column(sa.String(120))  # order number in the POS
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    items: Mapped[list[PurchaseItem]] = relationship(
        back_populates="purchase", cascade="all, delete-orphan", order_by="PurchaseItem.id"
    )
    associate: Mapped[User | None] = relationship()

    __table_args__ = (
        sa.Index("ix_purchase_client_date", "client_id", "purchased_on"),
        sa.Index("ix_purchase_date", "purchased_on"),
    )


class PurchaseItem(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    purchase_id: Mapped[int] = mapped_column(sa.ForeignKey("purchase.id", ondelete="CASCADE"), index=True)
    description: Mapped[str] = mapped_column(sa.String(200))
    category: Mapped[str] = mapped_column(sa.String(80), default="")
    sku: Mapped[str] = mapped_column(sa.String(80), default="")
    quantity: Mapped[int] = mapped_column(default=1)
    amount_cents: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    purchase: Mapped[Purchase] = relationship(back_populates="items")


class WishlistItem(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("client.id", ondelete="CASCADE"), index=True)
    description: Mapped[str] = mapped_column(sa.String(200))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    added_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    fulfilled_at: Mapped[datetime | None]


class Note(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("client.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    # Who to credit when no person wrote it (e.g. "Import" for notes from a file).
    source: Mapped[str] = mapped_column(sa.String(40), default="", server_default="")
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    author: Mapped[User | None] = relationship()
