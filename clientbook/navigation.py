"""The counts next to Today and Inbox in the navigation: computed here and nowhere else, one query
each, at most once per request, and only when a page that draws them asks (partials don't)."""
from __future__ import annotations

from functools import cached_property

from flask import Flask, g
from flask_login import current_user

from clientbook.conversations.threads import unread_count
from clientbook.reminders.today import due_count
from clientbook.shop import current_shop, shop_today


class NavCounts:
    @cached_property
    def due_reminders(self) -> int:
        """Overdue + due today for the signed-in person."""
        if not current_user.is_authenticated or current_shop() is None:
            return 0
        return due_count(current_user.id, shop_today())

    def know_due_reminders(self, count: int) -> None:
        """A page that has just counted them (Today, the person's own list): no second query."""
        self.__dict__["due_reminders"] = count

    @cached_property
    def inbox_unread(self) -> int:
        """Unread threads this person may open."""
        return unread_count(current_user) if current_user.is_authenticated else 0


def nav_counts() -> NavCounts:
    if "nav_counts" not in g:
        g.nav_counts = NavCounts()
    return g.nav_counts


def recount() -> None:
    """After an action that changes a count, so the badge sent back out of band is current."""
    g.pop("nav_counts", None)


def init_app(app: Flask) -> None:
    @app.context_processor
    def inject_nav_counts():
        return {"nav_counts": nav_counts()}
