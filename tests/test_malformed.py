"""Malformed requests across the app answer 4xx with a message, never 500.

A table of known troublemakers (ids and amounts too large for the database, `²`, a negative
row index, a 1 000-word search, htmx-only endpoints without htmx), then a walk of every
route with bad values in the usual parameter names.
"""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from clientbook.extensions import db
from clientbook.imports.demo import seed_demo
from clientbook.settings import add_default_preference_keys
from clientbook.signals import shop_created
from clientbook.models import Campaign, Client, MessageTemplate, Message, Reminder, ReminderRule, WishlistItem
from tests.conftest import AuthActions

HUGE = "9" * 25
INT64_PLUS_ONE = str(2**63)
SUPERSCRIPT = "²"
THOUSAND_WORDS = " ".join(f"word{n}" for n in range(1000))
HX = {"HX-Request": "true"}


@pytest.fixture
def book(app, shop, runner):
    """The demo book with its rules run, and one id of each kind of thing a URL can name."""
    with app.app_context():
        add_default_preference_keys()
        shop_created.send(app)  # default rules and templates
        seed_demo()
        db.session.commit()
    assert runner.invoke(args=["reminders", "run"]).exit_code == 0
    with app.app_context():
        ids = {
            "client_id": db.session.scalar(sa.select(Client.id).order_by(Client.id)),
            "reminder_id": db.session.scalar(sa.select(Reminder.id).order_by(Reminder.id)),
            "rule_id": db.session.scalar(sa.select(ReminderRule.id).order_by(ReminderRule.id)),
            "template_id": db.session.scalar(sa.select(MessageTemplate.id).order_by(MessageTemplate.id)),
            "item_id": db.session.scalar(sa.select(WishlistItem.id).order_by(WishlistItem.id)) or 1,
            "campaign_id": db.session.scalar(sa.select(Campaign.id)) or 1,
            "message_id": db.session.scalar(sa.select(Message.id)) or 1,
            "user_id": shop["associate"], "date_id": 1, "key_id": 1,
        }
    return ids


@pytest.fixture
def owner(app, book):
    client = app.test_client()
    AuthActions(client).login("owner")
    return client


def _path(rule: str, ids: dict, override: str | None = None) -> str:
    def value(match):
        converter, name = match.groups()
        if converter == "int":
            return override if override is not None else str(ids.get(name, 1))
        return {"section": "dates", "channel": "sms", "token": "x" * 20}.get(name, "x")

    return re.sub(r"<(?:(\w+):)?(\w+)>", value, rule)


class Walk:
    """Sends every request of a walk, then reports every one that crashed or answered 5xx at once."""

    def __init__(self, client):
        self.client = client
        self.failures: list[str] = []

    def open(self, what: str, *args, **kwargs):
        try:
            response = self.client.open(*args, **kwargs)
        except Exception as error:  # noqa: BLE001 - TESTING propagates what would be a 500
            self.failures.append(f"{what}: {type(error).__name__}: {str(error)[:120]}")
            return None
        if response.status_code >= 500:
            self.failures.append(f"{what}: {response.status_code}")
        return response

    def check(self):
        assert not self.failures, f"{len(self.failures)} requests failed:\n" + "\n".join(self.failures)


# ---- the known troublemakers -----------------------------------------------------------------

def known_cases(ids):
    client = ids["client_id"]
    return [
        ("GET", f"/clients/{HUGE}", None, {}, 404),
        ("GET", f"/clients/{INT64_PLUS_ONE}", None, {}, 404),
        ("POST", f"/clients/{HUGE}/notes", {"note-body": "x"}, {}, 404),
        ("GET", f"/reminders/{HUGE}", None, {}, 404),
        ("GET", f"/today?who={HUGE}", None, {}, 400),
        ("GET", f"/today?who={SUPERSCRIPT}", None, {}, 400),
        ("GET", f"/clients/{client}/message?reminder_id={SUPERSCRIPT}", None, {}, None),
        ("GET", f"/clients/{client}/message?reminder_id={HUGE}", None, {}, None),
        ("GET", f"/clients/{client}/message?template_id={HUGE}", None, {}, None),
        ("GET", f"/clients/{client}/message?template_id={SUPERSCRIPT}", None, {}, None),
        ("GET", f"/messaging/templates/preview?client_id={HUGE}", None, {}, None),
        ("POST", "/clients/reassign", {"from_user": HUGE, "to_user": HUGE}, {}, None),
        ("POST", "/clients/assign", {"client_ids": [HUGE, SUPERSCRIPT], "assigned_to": HUGE}, {}, None),
        ("POST", f"/reminders/{ids['reminder_id']}/reassign", {"owner_id": HUGE}, {}, None),
        ("POST", f"/clients/{client}/purchases", {
            "purchase-purchased_on": "2026-01-05", "purchase-items-0-description": "Ring",
            "purchase-items-0-amount": HUGE}, {}, 400),
        ("POST", f"/clients/{client}/purchases", {
            "purchase-purchased_on": "2026-01-05", "purchase-items-0-description": "Ring",
            "purchase-items-0-amount": "1" + "0" * 17}, {}, 422),
        ("POST", f"/clients/{client}/wishlist", {"wish-description": "Ring", "wish-price": HUGE}, {}, None),
        ("POST", "/settings/reminders", {"name": "Big spenders", "kind": "purchase", "min_amount": HUGE,
                                         "lead_days": HUGE}, {}, 400),
        ("GET", f"/clients/{client}/purchases/item-row?index=-1", None, HX, None),
        ("GET", f"/clients/{client}/purchases/item-row?index=-{HUGE}", None, HX, None),
        ("GET", f"/clients/{client}/purchases/item-row?index={HUGE}", None, HX, None),
        ("GET", f"/clients/{client}/purchases/item-row?index={SUPERSCRIPT}", None, HX, None),
        ("GET", "/clients?q=" + THOUSAND_WORDS, None, {}, None),
        ("GET", "/clients/search?q=" + THOUSAND_WORDS, None, HX, None),
        ("GET", "/clients?q=" + "a" * 20000, None, {}, None),
        ("GET", f"/clients?page={HUGE}", None, {}, None),
        ("GET", f"/clients?page={SUPERSCRIPT}", None, {}, None),
        ("GET", "/clients?page=-5", None, {}, None),
        ("GET", f"/clients?assigned_to={HUGE}&min_spent={HUGE}&birthday_month={HUGE}", None, {}, None),
        ("GET", f"/messaging/campaigns/reach?birthday_month={SUPERSCRIPT}&assigned_to={HUGE}", None, {}, None),
        ("GET", f"/messaging/campaigns/new?assigned_to={HUGE}&min_spent={HUGE}", None, {}, None),
        ("GET", "/login?next=/%0d%0aSet-Cookie:%20x=1", None, {}, None),
        ("POST", "/login?next=/%0d%0a/evil.example", {"email": "x@y.z", "password": "p"}, {}, None),
        ("GET", f"/clients/{client}/message/length?body=" + "x" * 5000, None, {}, None),
    ]


def test_known_malformed_requests_answer_4xx(owner, book):
    walk = Walk(owner)
    for method, url, data, headers, expected in known_cases(book):
        what = f"{method} {url[:80]}"
        response = walk.open(what, url, method=method, data=data, headers=headers)
        if response is not None and expected is not None and response.status_code != expected:
            walk.failures.append(f"{what}: {response.status_code}, expected {expected}")
    walk.check()


def test_htmx_only_endpoints_without_htmx_answer_4xx_or_a_page(owner, book, app):
    """Fragments asked for without HX-Request: a whole page or a redirect, or a clear 4xx; never a 500."""
    walk = Walk(owner)
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        url = _path(rule.rule, book)
        response = walk.open(f"GET {url} without htmx", url)
        if response is not None and response.status_code == 200 and response.mimetype == "text/html":
            if "<html" not in response.get_data(as_text=True):
                walk.failures.append(f"GET {url} without htmx gave a bare fragment")
    walk.check()


def test_every_route_survives_ids_too_large_for_the_database(owner, book, app):
    walk = Walk(owner)
    for rule in app.url_map.iter_rules():
        if "<int:" not in rule.rule:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            url = _path(rule.rule, book, override=HUGE)
            response = walk.open(f"{method} {url}", url, method=method, data={})
            if response is not None and response.status_code not in (404, 405):
                walk.failures.append(f"{method} {url}: {response.status_code}, expected 404")
    walk.check()


BAD_VALUES = [HUGE, SUPERSCRIPT, "-1", "1e400", "\r\n\x00", THOUSAND_WORDS]
USUAL_NAMES = ["q", "page", "who", "index", "rows", "reminder_id", "template_id", "client_id", "owner_id",
               "assigned_to", "to_user", "from_user", "birthday_month", "month", "day", "year", "min_spent",
               "max_spent", "days", "lead_days", "amount", "price", "state", "channel", "context", "tag",
               "sort", "next", "client_ids", "merged_ids", "active", "kind", "status", "all", "segment"]


def test_every_route_survives_bad_values_in_the_usual_fields(owner, book, app):
    walk = Walk(owner)
    for rule, bad in ((rule, bad) for bad in BAD_VALUES for rule in app.url_map.iter_rules()):
        if rule.endpoint in ("static", "auth.logout", "auth.sign_out_everywhere", "imports.seed_demo",
                             "messaging.send_campaign", "reminders.run_now"):
            continue
        url = _path(rule.rule, book)
        fields = {name: bad for name in USUAL_NAMES}
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for headers in ({}, HX):
                what = f"{method} {url} {'htmx ' if headers else ''}with {bad[:12]!r}"
                if method == "GET":
                    walk.open(what, url, query_string=fields, headers=headers)
                else:
                    walk.open(what, url, method=method, data=fields, headers=headers)
    walk.check()
