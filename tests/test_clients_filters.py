"""List filters (shared with campaigns) and the list page that shows them."""
from datetime import date

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from clientbook.clients.filters import ClientFilter, filtered_clients_query
from clientbook.clients.views import PER_PAGE
from clientbook.extensions import db
from clientbook.models import ImportantDate, Preference, PreferenceKey, Purchase, Shop, User
from clientbook.shop import shop_today
from tests.support.clients import HX, allow_associates_everything, make_client
from tests.support.html import select


@pytest.fixture
def book(app, shop):
    with app.app_context():
        key = PreferenceKey(name="Metal")
        db.session.add(key)
        db.session.flush()
        this_month = shop_today().month
        other_month = this_month % 12 + 1
        ids = {
            "ada_vip": make_client("Ada", "Vip", tags=("vip",), assigned_to_id=shop["associate"]),
            "gold": make_client("Gold", "Lover", assigned_to_id=shop["associate2"]),
            "birthday": make_client("Birthday", "Now", assigned_to_id=shop["associate"]),
            "lapsed": make_client("Lapsed", "Buyer"),
            "archived": make_client("Archived", "One", tags=("vip",), archived_at=db.func.now()),
        }
        db.session.add_all([
            Preference(client_id=ids["gold"], key_id=key.id, value="Rose Gold"),
            ImportantDate(client_id=ids["birthday"], kind="birthday", month=this_month, day=1),
            ImportantDate(client_id=ids["gold"], kind="birthday", month=other_month, day=1),
            Purchase(client_id=ids["lapsed"], purchased_on=date(2022, 5, 1), total_cents=50000),
            Purchase(client_id=ids["gold"], purchased_on=date(2025, 5, 1), total_cents=250000),
        ])
        db.session.commit()
        ids["key"] = key.id
        return ids


def names(app, shop, args, who="owner"):
    with app.app_context():
        user = db.session.get(User, shop[who])
        the_shop = db.session.query(Shop).one()
        f = ClientFilter.from_args(MultiDict(args), user, the_shop)
        return {c.first_name for c in db.session.scalars(filtered_clients_query(f, user, the_shop))}


@pytest.mark.parametrize("args,expected", [
    ({}, {"Ada", "Gold", "Birthday", "Lapsed"}),
    ({"tag": "vip"}, {"Ada"}),
    ({"tag": "vip", "archived": "include"}, {"Ada", "Archived"}),
    ({"archived": "only"}, {"Archived"}),
    ({"pref_key": "KEY", "pref_value": "rose gold"}, {"Gold"}),
    ({"pref_key": "KEY"}, {"Gold"}),
    ({"birthday_month": "this"}, {"Birthday"}),
    ({"no_purchase_since": "2024-01-01"}, {"Ada", "Birthday", "Lapsed"}),
    ({"last_purchase_before": "2024-01-01"}, {"Lapsed"}),
    ({"last_purchase_after": "2024-01-01"}, {"Gold"}),
    ({"min_spend": "1000"}, {"Gold"}),
    ({"q": "lap"}, {"Lapsed"}),
    ({"no_purchase_since": "not a date"}, {"Ada", "Gold", "Birthday", "Lapsed"}),
    ({"scope": "mine"}, set()),
])
def test_filters(app, shop, book, args, expected):
    args = {k: (str(book["key"]) if v == "KEY" else v) for k, v in args.items()}
    assert names(app, shop, args) == expected


@pytest.mark.parametrize("strict,who,args,expected", [
    (False, "associate", {}, {"Ada", "Birthday", "Gold", "Lapsed"}),
    (False, "associate", {"scope": "mine"}, {"Ada", "Birthday"}),
    (True, "associate", {}, {"Ada", "Birthday", "Lapsed"}),  # strict: their own and the unassigned
    (True, "associate", {"scope": "all"}, {"Ada", "Birthday", "Lapsed"}),
    (True, "associate2", {}, {"Gold", "Lapsed"}),
    (True, "manager", {"assigned_to": "ASSOCIATE"}, {"Ada", "Birthday"}),
])
def test_filter_visibility(app, shop, book, strict, who, args, expected):
    if strict:
        with app.app_context():
            allow_associates_everything(False)
    args = {k: (str(shop["associate"]) if v == "ASSOCIATE" else v) for k, v in args.items()}
    assert names(app, shop, args, who) == expected


def test_list_page_filters_and_paginates(client, auth, app, shop, book):
    auth.login("manager")
    page = client.get("/clients?tag=vip")
    assert page.status_code == 200 and b"Ada Vip" in page.data and b"Gold Lover" not in page.data
    assert b'id="client-filters"' in page.data
    with app.app_context():
        for i in range(30):
            make_client("Many", f"Client{i:02}")
    first = client.get("/clients", headers=HX)
    assert len(select(first.data, "li.cl-row")) == PER_PAGE and b"Load more" in first.data
    second = client.get("/clients?page=2", headers={**HX, "HX-Target": "load-more-2"})
    assert len(select(second.data, "li.cl-row")) == 34 - PER_PAGE and b"Load more" not in second.data
    # Without JavaScript the same link is a whole page.
    assert b"<html" in client.get("/clients?page=2").data
