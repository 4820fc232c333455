"""Merging duplicate clients into one, with nothing lost.

The kept client receives purchases, notes, wish list, external ids, the dates
and preferences it lacks, every tag, the most recent explicit consent per
channel, and any contact detail it was missing. The others stay as rows (their
history points at them) with merged_into_id and archived_at set, and leave search.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from clientbook.extensions import db
from clientbook.text import fold
from clientbook.models import (
    Client, ClientExternalId, ClientTag, ImportantDate, Note, Purchase, User, WishlistItem, utcnow,
)
from clientbook.models.clients import CHANNELS
from clientbook.search_index import refresh_search_tokens
from clientbook.signals import clients_merged
from clientbook.tags import tag_key

CONTACT_FIELDS = ("first_name", "last_name", "email", "address", "timezone", "preferred_channel", "assigned_to_id")


class MergeError(ValueError):
    pass


def merge_clients(kept_id: int, merged_ids: list[int], actor: User | None) -> Client:
    """Merge `merged_ids` into `kept_id` in the current transaction (the caller commits)."""
    merged_ids = sorted({int(i) for i in merged_ids} - {kept_id})
    if not merged_ids:
        raise MergeError("Choose at least one other client to merge.")
    kept = db.session.get(Client, kept_id)
    others = db.session.scalars(sa.select(Client).where(Client.id.in_(merged_ids)).order_by(Client.id)).all()
    if kept is None or len(others) != len(merged_ids):
        raise MergeError("One of these clients no longer exists.")
    if kept.merged_into_id is not None or any(o.merged_into_id is not None for o in others):
        raise MergeError("One of these clients was already merged into another.")

    for model in (Purchase, Note, WishlistItem, ClientExternalId):
        db.session.execute(
            sa.update(model).where(model.client_id.in_(merged_ids)).values(client_id=kept_id)
            .execution_options(synchronize_session=False)
        )
    _merge_dates(kept, others)
    _merge_preferences(kept, others)
    _merge_tags(kept, others)
    _merge_consent(kept, others)
    _fill_contact(kept, others)

    _add_prior_history(kept, others)
    now = utcnow()
    for other in others:
        other.merged_into_id = kept.id
        other.archived_at = other.archived_at or now
    names = ", ".join(f"{o.full_name} (#{o.id})" for o in others)
    db.session.add(Note(client_id=kept.id, author_id=actor.id if actor else None,
                        body=f"Merged {names} into this card."))
    db.session.flush()
    refresh_search_tokens([kept.id, *merged_ids])
    clients_merged.send(current_app._get_current_object(), kept_id=kept.id, merged_ids=merged_ids)
    db.session.expire_all()  # relationships were moved underneath the identity map
    return db.session.get(Client, kept_id)


def _add_prior_history(kept: Client, others: list[Client]) -> None:
    """Totals from before an import move to the kept client and add up, as the purchases do."""
    for other in others:
        kept.prior_spent_cents += other.prior_spent_cents
        kept.prior_orders += other.prior_orders
        if other.prior_as_of and (kept.prior_as_of is None or other.prior_as_of > kept.prior_as_of):
            kept.prior_as_of = other.prior_as_of
        other.prior_spent_cents, other.prior_orders = 0, 0


def _date_key(d: ImportantDate) -> tuple:
    return (d.kind, d.month, d.day, d.year, fold(d.label).strip(), fold(d.for_whom).strip())


def _merge_dates(kept: Client, others: list[Client]) -> None:
    seen = {_date_key(d) for d in kept.important_dates}
    for other in others:
        for d in list(other.important_dates):
            if _date_key(d) in seen:
                continue
            seen.add(_date_key(d))
            kept.important_dates.append(d)  # moved, not copied: reminders keep pointing at it


def _merge_preferences(kept: Client, others: list[Client]) -> None:
    have = {p.key_id for p in kept.preferences}
    for other in others:
        for p in list(other.preferences):
            if p.key_id not in have and p.value.strip():
                have.add(p.key_id)
                kept.preferences.append(p)


def _merge_tags(kept: Client, others: list[Client]) -> None:
    have = {tag_key(t.tag) for t in kept.tags}
    for other in others:
        for t in other.tags:
            if tag_key(t.tag) not in have:
                have.add(tag_key(t.tag))
                db.session.add(ClientTag(client_id=kept.id, tag=t.tag))


def _merge_consent(kept: Client, others: list[Client]) -> None:
    """Per channel, the most recent explicit choice (one with a date) wins; the kept card breaks ties."""
    for channel in CHANNELS:
        def stamp(c: Client) -> datetime | None:
            return getattr(c, f"{channel}_opt_in_at")

        explicit = [c for c in [kept, *others] if stamp(c) is not None]
        if not explicit:
            # Nobody recorded when: an undated opt-in still beats an undated blank.
            if not getattr(kept, f"{channel}_opt_in"):
                donor = next((c for c in others if getattr(c, f"{channel}_opt_in")), None)
                if donor is not None:
                    _copy_consent(kept, donor, channel)
            continue
        winner = max(explicit, key=lambda c: (stamp(c), c is kept))
        if winner is not kept:
            _copy_consent(kept, winner, channel)


def _copy_consent(kept: Client, donor: Client, channel: str) -> None:
    for suffix in ("opt_in", "opt_in_at", "opt_in_source"):
        setattr(kept, f"{channel}_{suffix}", getattr(donor, f"{channel}_{suffix}"))


def _fill_contact(kept: Client, others: list[Client]) -> None:
    for name in CONTACT_FIELDS:
        if not getattr(kept, name):
            donor = next((o for o in others if getattr(o, name)), None)
            if donor is not None:
                setattr(kept, name, getattr(donor, name))
    if not kept.phone:
        donor = next((o for o in others if o.phone and o.phone_valid), None) or next((o for o in others if o.phone), None)
        if donor is not None:
            kept.phone, kept.phone_valid = donor.phone, donor.phone_valid
