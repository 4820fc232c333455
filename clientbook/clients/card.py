"""The client card's data object: what each section of the card shows, read here, never by a template.

Each section partial (templates/clients/card/) shows parts of one `ClientCard`. A part is read the
first time a section asks for it and kept for the request, so the whole card costs a few small
queries and an htmx redraw of one section runs only that section's. Nothing here loads a
relationship lazily: each part is one query (or none, from the client row itself).
"""
from __future__ import annotations

from datetime import date
from functools import cached_property

import sqlalchemy as sa

from clientbook.clients.queries import Summary, possible_duplicates, purchase_summary
from clientbook.clients.timeline import TimelineEntry, client_timeline
from clientbook.extensions import db
from clientbook.models import (
    Client, ClientTag, ImportantDate, Job, Preference, PreferenceKey, Reminder, Shop, User, WishlistItem,
)
from clientbook.reminders.today import open_for_client
from clientbook.shop import shop_today

TIMELINE_PAGE = 20
OPPORTUNITY_WISHES_SHOWN = 4
CHANNEL_NAMES = {"sms": "text messages", "email": "email", "whatsapp": "WhatsApp", "phone": "a call"}


class ClientCard:
    """Everything the client card shows, each part read when a section first asks for it."""

    def __init__(self, client: Client, shop: Shop, viewer: User, full_history: bool = False):
        self.client = client
        self.shop = shop
        self.viewer = viewer
        self.full_history = full_history
        self.open = client.merged_into_id is None  # a merged card takes no more edits
        self.phone_callable = bool(client.phone and client.phone_valid)
        self.preferred_channel = CHANNEL_NAMES.get(client.preferred_channel, client.preferred_channel)

    # ---- header --------------------------------------------------------------------------

    @cached_property
    def assigned_name(self) -> str | None:
        """Who looks after the client: None for nobody, "you" for the person reading the card."""
        if self.client.assigned_to_id is None:
            return None
        if self.client.assigned_to_id == self.viewer.id:
            return "you"
        return db.session.scalar(sa.select(User.name).where(User.id == self.client.assigned_to_id))

    @cached_property
    def tags(self) -> list[str]:
        """As written, in alphabetical order whatever the case ("bridal", "VIP"), like Client.tag_names."""
        return sorted(db.session.scalars(sa.select(ClientTag.tag).where(ClientTag.client_id == self.client.id)),
                      key=str.casefold)

    @cached_property
    def channels(self) -> list[dict]:
        """The card's hand-off buttons, each with why it is unavailable (or None)."""
        from clientbook.messaging.settings import CARD_CHANNELS, channel_options

        return channel_options(self.client, CARD_CHANNELS)

    # ---- sections ------------------------------------------------------------------------

    @cached_property
    def summary(self) -> Summary:
        return purchase_summary(self.client.id)

    @cached_property
    def preference_rows(self) -> list[tuple[PreferenceKey, str]]:
        """Every active key with this client's value ("" when none), in the shop's order."""
        rows = db.session.execute(
            sa.select(PreferenceKey, Preference.value)
            .outerjoin(Preference, sa.and_(Preference.key_id == PreferenceKey.id, Preference.client_id == self.client.id))
            .where(PreferenceKey.active.is_(True)).order_by(PreferenceKey.position, PreferenceKey.id)
        ).all()
        return [(key, value or "") for key, value in rows]

    @property
    def preference_keys(self) -> list[PreferenceKey]:
        return [key for key, _ in self.preference_rows]

    @property
    def filled_preferences(self) -> list[tuple[PreferenceKey, str]]:
        return [(key, value) for key, value in self.preference_rows if value]

    @cached_property
    def dates(self) -> list[ImportantDate]:
        return list(db.session.scalars(
            sa.select(ImportantDate).where(ImportantDate.client_id == self.client.id)
            .order_by(ImportantDate.month, ImportantDate.day, ImportantDate.id)))

    @cached_property
    def _wish_rows(self) -> list[tuple[WishlistItem, bool]]:
        """Open wishes first, newest first; each with whether it already became a job."""
        # Through the client's jobs (indexed), not a scan of every job for each wish.
        has_job = sa.exists().where(Job.client_id == self.client.id, Job.wishlist_item_id == WishlistItem.id)
        return [(item, bool(job)) for item, job in db.session.execute(
            sa.select(WishlistItem, has_job).where(WishlistItem.client_id == self.client.id)
            .order_by(WishlistItem.fulfilled_at.is_not(None), WishlistItem.created_at.desc()))]

    @property
    def wishes(self) -> list[WishlistItem]:
        return [item for item, _ in self._wish_rows]

    @property
    def opportunity_wishes(self) -> list[WishlistItem]:
        """Open wishes not yet a job: each can become a sales opportunity in one tap."""
        return [item for item, has_job in self._wish_rows
                if not item.fulfilled_at and not has_job][:OPPORTUNITY_WISHES_SHOWN]

    @cached_property
    def jobs(self):
        from clientbook.jobs.queries import card_jobs

        return card_jobs(self.client.id)

    @cached_property
    def open_reminders(self) -> list[Reminder]:
        return open_for_client(self.client.id)

    @cached_property
    def today(self) -> date:
        return shop_today()

    @cached_property
    def duplicates(self) -> list[Client]:
        return possible_duplicates(self.client, limit=5)

    # ---- history ---------------------------------------------------------------------------

    @cached_property
    def _timeline(self) -> tuple[list[TimelineEntry], bool]:
        return client_timeline(self.client.id, None if self.full_history else TIMELINE_PAGE)

    @property
    def timeline(self) -> list[TimelineEntry]:
        return self._timeline[0]

    @property
    def timeline_has_more(self) -> bool:
        return self._timeline[1]
