"""The client card: creating clients, inline edits, validation, quick actions, signals, reassignment."""
from datetime import date, datetime

import pytest
import sqlalchemy as sa

from clientbook.extensions import db
from clientbook.models import (
    Client, ClientSearchToken, ImportantDate, Note, Preference, PreferenceKey, Purchase, PurchaseItem, WishlistItem,
)
from clientbook.signals import client_changed, clients_merged, clients_reassigned, purchase_recorded
from tests.support.clients import allow_associates_everything, HX, make_client


@pytest.fixture
def ada_client(app, shop):
    with app.app_context():
        return make_client("Éloïse", "Marchand", email="eloise@example.com", phone="+33612345678",
                           assigned_to_id=shop["associate"])


@pytest.fixture
def received(app):
    """Signals sent during the test, as (name, kwargs)."""
    events = []
    handlers = []
    for signal in (client_changed, purchase_recorded, clients_merged, clients_reassigned):
        def handler(sender, _name=signal.name, **kwargs):
            events.append((_name, kwargs))
        handlers.append(handler)
        signal.connect(handler, app)
    yield events
    for signal, handler in zip((client_changed, purchase_recorded, clients_merged, clients_reassigned), handlers):
        signal.disconnect(handler, app)


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# ---- new client ------------------------------------------------------------------------

def test_new_client_normalises_contact_and_is_searchable(client, auth, app, shop):
    auth.login("associate")
    response = client.post("/clients/new", data={
        "first_name": " Éloïse ", "last_name": "Marchand", "email": "Eloise@Example.COM", "phone": "06 12 34 56 78",
        "tags": "VIP, #bridal", "sms_opt_in": "y", "consent_source": "Asked in store",
    })
    assert response.status_code == 303
    with app.app_context():
        created = db.session.scalar(sa.select(Client))
        assert (created.first_name, created.email, created.phone, created.phone_valid) == (
            "Éloïse", "eloise@example.com", "+33612345678", True)
        assert created.assigned_to_id == shop["associate"]  # associates add to their own book
        assert created.tag_names == ["bridal", "VIP"]  # as typed
        assert created.sms_opt_in and created.sms_opt_in_at and created.sms_opt_in_source == "Asked in store"
        assert not created.email_opt_in
        tokens = set(db.session.scalars(sa.select(ClientSearchToken.token)))
        assert {"eloise", "marchand", "#vip", "p:33612345678", "r:87654321633"} <= tokens


def test_unparseable_phone_is_kept_with_a_gentle_warning(client, auth, app):
    auth.login("owner")
    response = client.post("/clients/new", data={"first_name": "Hugo", "phone": "12-34"}, follow_redirects=True)
    assert response.status_code == 200
    assert b"doesn&#39;t look complete" in response.data
    with app.app_context():
        created = db.session.scalar(sa.select(Client))
        assert (created.phone, created.phone_valid) == ("12-34", False)


@pytest.mark.parametrize("data,message", [
    ({"first_name": "Anna", "email": "anna@@example"}, b"doesn&#39;t look right"),
    ({"first_name": "", "last_name": ""}, b"Enter a first or last name"),
    ({"first_name": "Anna", "email_opt_in": "y"}, b"Say how the client agreed"),
])
def test_new_client_validation_saves_nothing(client, auth, app, data, message):
    auth.login("owner")
    response = client.post("/clients/new", data=data)
    assert response.status_code == 422
    assert message in response.data
    with app.app_context():
        assert count(Client) == 0


# ---- inline edits ----------------------------------------------------------------------

def test_edit_contact_inline_swaps_display_back_and_reindexes(client, auth, app, ada_client, received):
    auth.login("associate")
    response = client.post(f"/clients/{ada_client}/contact", headers=HX, data={
        "contact-first_name": "Eloise", "contact-last_name": "Marchand-Roux", "contact-email": "E.M@Example.com",
        "contact-phone": "+44 20 7946 0958", "contact-preferred_channel": "email",
    })
    assert response.status_code == 200
    assert b'id="contact"' in response.data and b"<form" not in response.data
    assert b"Eloise Marchand-Roux" in response.data
    with app.app_context():
        edited = db.session.get(Client, ada_client)
        assert (edited.email, edited.phone, edited.preferred_channel) == ("e.m@example.com", "+442079460958", "email")
        tokens = set(db.session.scalars(sa.select(ClientSearchToken.token).where(ClientSearchToken.client_id == ada_client)))
        assert "roux" in tokens and "p:33612345678" not in tokens
    assert ("client-changed", {"client_id": ada_client}) in received


def test_edit_without_javascript_redirects_to_the_card(client, auth, ada_client):
    auth.login("associate")
    response = client.post(f"/clients/{ada_client}/contact", data={
        "contact-first_name": "Eloise", "contact-last_name": "M", "contact-email": "", "contact-phone": ""})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/clients/{ada_client}#contact")


@pytest.mark.parametrize("htmx", [True, False])
def test_bad_email_shows_error_beside_field_and_saves_nothing(client, auth, app, ada_client, htmx):
    auth.login("associate")
    response = client.post(f"/clients/{ada_client}/contact", headers=HX if htmx else {}, data={
        "contact-first_name": "Changed", "contact-last_name": "Name", "contact-email": "not-an-email",
        "contact-phone": "0611111111"})
    assert response.status_code == 422
    assert b'id="contact-email-error"' in response.data
    assert (b"<html" in response.data) is (not htmx)
    with app.app_context():
        unchanged = db.session.get(Client, ada_client)
        assert (unchanged.first_name, unchanged.email, unchanged.phone) == ("Éloïse", "eloise@example.com", "+33612345678")


def test_unparseable_phone_on_edit_is_kept_and_flagged(client, auth, app, ada_client):
    auth.login("associate")
    response = client.post(f"/clients/{ada_client}/contact", headers=HX, data={
        "contact-first_name": "Éloïse", "contact-last_name": "Marchand", "contact-phone": "call the shop"})
    assert response.status_code == 200
    assert b"Check number" in response.data
    with app.app_context():
        assert db.session.get(Client, ada_client).phone_valid is False


def test_tags_consent_and_preferences(client, auth, app, ada_client, received):
    auth.login("associate")
    assert client.post(f"/clients/{ada_client}/tags", headers=HX, data={"tags-tags": "Pearls, vip"}).status_code == 200
    response = client.post(f"/clients/{ada_client}/consent", headers=HX, data={
        "consent-email_opt_in": "y", "consent-email_source": "Signed form", "consent-sms_source": ""})
    assert response.status_code == 200 and b"Signed form" in response.data
    missing_source = client.post(f"/clients/{ada_client}/consent", headers=HX, data={"consent-sms_opt_in": "y"})
    assert missing_source.status_code == 422
    with app.app_context():
        ring = PreferenceKey(name="Ring size")
        metal = PreferenceKey(name="Metal", position=1)
        db.session.add_all([ring, metal])
        db.session.commit()
        ring_id, metal_id = ring.id, metal.id
    response = client.post(f"/clients/{ada_client}/preferences", headers=HX,
                           data={f"key_{ring_id}": "52", f"key_{metal_id}": "Rose gold"})
    assert response.status_code == 200 and b"Rose gold" in response.data
    client.post(f"/clients/{ada_client}/preferences", headers=HX, data={f"key_{ring_id}": "53", f"key_{metal_id}": ""})
    with app.app_context():
        edited = db.session.get(Client, ada_client)
        assert edited.tag_names == ["Pearls", "vip"]
        assert edited.email_opt_in and edited.email_opt_in_source == "Signed form" and not edited.sms_opt_in
        assert [(p.key_id, p.value) for p in db.session.scalars(sa.select(Preference))] == [(ring_id, "53")]
    assert ("client-changed", {"client_id": ada_client}) in received


# ---- dates --------------------------------------------------------------------------------

@pytest.mark.parametrize("fields,error", [
    ({"date-month": "2", "date-day": "31"}, b"February has only 29 days"),
    ({"date-month": "2", "date-day": "29", "date-year": "2023"}, b"February has only 28 days in 2023"),
    ({"date-month": "4", "date-day": "0"}, b"Enter a day from 1 to 31"),
    ({"date-month": "4", "date-day": ""}, b"Enter the day"),
    ({"date-kind": "custom", "date-month": "4", "date-day": "3"}, b"Name the occasion"),
])
def test_impossible_dates_are_refused(client, auth, app, ada_client, fields, error):
    auth.login("associate")
    response = client.post(f"/clients/{ada_client}/dates", headers=HX, data={"date-kind": "birthday", **fields})
    assert response.status_code == 422 and error in response.data
    with app.app_context():
        assert count(ImportantDate) == 0


def test_dates_add_and_remove(client, auth, app, ada_client, received):
    auth.login("associate")
    response = client.post(f"/clients/{ada_client}/dates", headers=HX, data={
        "date-kind": "birthday", "date-month": "2", "date-day": "29", "date-for_whom": "daughter Anna"})
    assert response.status_code == 200 and b"daughter Anna&#39;s birthday" in response.data
    client.post(f"/clients/{ada_client}/dates", data={
        "date-kind": "custom", "date-label": "Name day", "date-month": "7", "date-day": "26", "date-year": "1990"})
    with app.app_context():
        dates = db.session.scalars(sa.select(ImportantDate).order_by(ImportantDate.month)).all()
        assert [(d.kind, d.month, d.day, d.year, d.for_whom, d.label) for d in dates] == [
            ("birthday", 2, 29, None, "daughter Anna", ""), ("custom", 7, 26, 1990, "", "Name day")]
        first_id = dates[0].id
    assert client.post(f"/clients/{ada_client}/dates/{first_id}/delete", headers=HX).status_code == 200
    with app.app_context():
        assert count(ImportantDate) == 1
    assert received.count(("client-changed", {"client_id": ada_client})) == 3


# ---- purchases, notes, wish list -------------------------------------------------------------

def test_add_purchase_with_several_items(client, auth, app, shop, ada_client, received):
    auth.login("associate")
    response = client.post(f"/clients/{ada_client}/purchases", headers=HX, data={
        "purchase-purchased_on": "2025-03-02", "purchase-associate_id": str(shop["associate"]),
        "purchase-items-0-description": "Akoya pearl strand", "purchase-items-0-category": "Necklaces",
        "purchase-items-0-sku": "AK-45", "purchase-items-0-amount": "1 890,00",
        "purchase-items-1-description": "", "purchase-items-1-amount": "",
        "purchase-items-2-description": "Clasp extension", "purchase-items-2-amount": "45",
    })
    assert response.status_code == 200
    assert "1\u202f935,00\u00a0€".encode() in response.data  # in the shop's currency, written the French way
    assert b"Akoya pearl strand" in response.data and b"SKU AK-45" in response.data
    with app.app_context():
        purchase = db.session.scalar(sa.select(Purchase))
        assert (purchase.purchased_on, purchase.total_cents, purchase.associate_id) == (date(2025, 3, 2), 193500, shop["associate"])
        assert [(i.description, i.amount_cents) for i in purchase.items] == [("Akoya pearl strand", 189000), ("Clasp extension", 4500)]
        assert received == [("purchase-recorded", {"client_id": ada_client, "purchase_id": purchase.id})]


@pytest.mark.parametrize("items,error", [
    ({}, b"Add at least one item"),
    ({"purchase-items-0-description": "Ring", "purchase-items-0-amount": "lots"}, "“lots” is not an amount. Write it like 1\u202f250,50".encode()),
    ({"purchase-items-0-amount": "120"}, b"Describe the item"),
])
def test_purchase_validation_saves_nothing(client, auth, app, ada_client, items, error):
    auth.login("associate")
    response = client.post(f"/clients/{ada_client}/purchases", headers=HX,
                           data={"purchase-purchased_on": "2025-03-02", **items})
    assert response.status_code == 422 and error in response.data
    with app.app_context():
        assert count(Purchase) == 0 and count(PurchaseItem) == 0


def test_timeline_mixes_purchases_notes_and_wishes_newest_first(client, auth, app, ada_client):
    auth.login("associate")
    client.post(f"/clients/{ada_client}/purchases", data={
        "purchase-purchased_on": "2024-01-05", "purchase-items-0-description": "Old ring", "purchase-items-0-amount": "10"})
    client.post(f"/clients/{ada_client}/notes", data={"note-body": "Prefers calls after 6pm"})
    client.post(f"/clients/{ada_client}/wishlist", data={"wish-description": "Tahitian pendant"})
    page = client.get(f"/clients/{ada_client}").data.decode()
    history = page[page.index('id="timeline"'):]
    assert history.index("Tahitian pendant") < history.index("Prefers calls after 6pm") < history.index("Old ring")


def test_wish_can_be_fulfilled(client, auth, app, ada_client):
    auth.login("associate")
    client.post(f"/clients/{ada_client}/wishlist", data={"wish-description": "Pearl studs"})
    with app.app_context():
        item_id = db.session.scalar(sa.select(WishlistItem.id))
    response = client.post(f"/clients/{ada_client}/wishlist/{item_id}/fulfilled", headers=HX, data={"fulfilled": "1"})
    assert response.status_code == 200 and b"Fulfilled" in response.data
    with app.app_context():
        assert db.session.get(WishlistItem, item_id).fulfilled_at is not None


def test_empty_note_is_refused(client, auth, app, ada_client):
    auth.login("associate")
    response = client.post(f"/clients/{ada_client}/notes", headers=HX, data={"note-body": "  "})
    assert response.status_code == 422 and b"Write something first" in response.data
    with app.app_context():
        assert count(Note) == 0


def test_card_shows_extension_points_and_summary(client, auth, app, ada_client):
    auth.login("associate")
    page = client.get(f"/clients/{ada_client}")
    assert page.status_code == 200
    for marker in (b'id="contact"', b'id="preferences"', b'id="summary"', b'id="dates"', b'id="wishlist"',
                   b'id="timeline"', b"Lifetime spend", b"+33 6 12 34 56 78"):
        assert marker in page.data


def test_timeline_sources_can_be_registered(client, auth, app, ada_client, tmp_path):
    from datetime import datetime

    from clientbook.clients import timeline

    def fake_source(client_id, limit):
        return [timeline.TimelineEntry(datetime(2030, 1, 1), "test", "clients/timeline/_note.html",
                                       {"note": Note(body="From another feature", created_at=datetime(2030, 1, 1)),
                                        "by": "Elsewhere"})]

    timeline.register_timeline_source(fake_source)
    try:
        auth.login("associate")
        assert b"From another feature" in client.get(f"/clients/{ada_client}").data
    finally:
        timeline._sources.remove(fake_source)


# ---- archive and reassignment ----------------------------------------------------------------

def test_archive_hides_from_list_until_restored(client, auth, app, ada_client):
    auth.login("manager")
    client.post(f"/clients/{ada_client}/archive")
    # (htmx partials: just the results, no flash messages)
    assert b"Marchand" not in client.get("/clients", headers=HX).data
    assert b"Marchand" not in client.get("/clients?q=marchand", headers=HX).data
    assert b"Marchand" in client.get("/clients?archived=only", headers=HX).data
    client.post(f"/clients/{ada_client}/unarchive")
    assert b"Marchand" in client.get("/clients", headers=HX).data


def test_manager_reassigns_one_client(client, auth, app, shop, ada_client, received):
    auth.login("manager")
    response = client.post(f"/clients/{ada_client}/assignment", headers=HX,
                           data={"assign-assigned_to_id": str(shop["associate2"])})
    assert response.status_code == 200 and b"Bea Associate" in response.data
    with app.app_context():
        assert db.session.get(Client, ada_client).assigned_to_id == shop["associate2"]
    assert received == [("clients-reassigned", {"client_ids": [ada_client]})]


def test_manager_moves_all_clients_of_a_leaving_associate(client, auth, app, shop):
    with app.app_context():
        adas = [make_client(f"Client{i}", "Ada", assigned_to_id=shop["associate"]) for i in range(3)]
        other = make_client("Other", "Person", assigned_to_id=shop["manager"])
    auth.login("manager")
    response = client.post("/clients/reassign", data={"from_user_id": str(shop["associate"]),
                                                      "to_user_id": str(shop["associate2"])})
    assert response.status_code == 303
    with app.app_context():
        owners = dict(db.session.execute(sa.select(Client.id, Client.assigned_to_id)).all())
        assert all(owners[i] == shop["associate2"] for i in adas) and owners[other] == shop["manager"]
    same_person = client.post("/clients/reassign", data={"from_user_id": str(shop["associate2"]),
                                                         "to_user_id": str(shop["associate2"])})
    assert same_person.status_code == 422


def test_manager_assigns_ticked_clients(client, auth, app, shop):
    with app.app_context():
        ids = [make_client(f"C{i}", "X") for i in range(3)]
    auth.login("owner")
    client.post("/clients/assign", data={"client_ids": [str(ids[0]), str(ids[2])], "to_user_id": str(shop["associate"])})
    with app.app_context():
        owners = dict(db.session.execute(sa.select(Client.id, Client.assigned_to_id)).all())
        assert [owners[i] for i in ids] == [shop["associate"], None, shop["associate"]]


def test_associate_finds_the_whole_store_book_by_default(client, auth, app, shop):
    with app.app_context():
        make_client("Mine", "Client", assigned_to_id=shop["associate"])
        make_client("Theirs", "Client", assigned_to_id=shop["associate2"])
    auth.login("associate")
    page = client.get("/clients").get_data(as_text=True)
    assert "Mine Client" in page and "Theirs Client" in page
    assert "Store book" in page and "My clients" in page
    assert "Bea Associate" in page  # who looks after each client
    assert "Theirs Client" not in client.get("/clients?scope=mine").get_data(as_text=True)
    with app.app_context():
        allow_associates_everything(False)
    # A strict shop: the list is their own clients, even when asking for everyone.
    assert "Theirs Client" not in client.get("/clients").get_data(as_text=True)
    assert "Theirs Client" not in client.get("/clients?scope=all").get_data(as_text=True)


def test_long_histories_show_the_newest_page_with_a_link_to_the_rest(app):
    from datetime import date, timedelta

    from clientbook.clients.card import TIMELINE_PAGE
    from clientbook.clients.timeline import client_timeline
    from clientbook.models import Client, Purchase

    with app.app_context():
        client_row = Client(first_name="Long", last_name="History")
        db.session.add(client_row)
        db.session.flush()
        first_day = date(2020, 1, 1)
        for n in range(TIMELINE_PAGE + 5):
            db.session.add(Purchase(client_id=client_row.id, purchased_on=first_day + timedelta(days=n)))
        db.session.add(Note(client_id=client_row.id, body="Oldest note", created_at=datetime(2019, 1, 1)))
        db.session.commit()

        page, more = client_timeline(client_row.id, TIMELINE_PAGE)
        assert more and len(page) == TIMELINE_PAGE
        assert page[0].data.purchased_on == first_day + timedelta(days=TIMELINE_PAGE + 4)
        assert all(entry.kind == "purchase" for entry in page)

        everything, more = client_timeline(client_row.id, None)
        assert not more and len(everything) == TIMELINE_PAGE + 6
        assert everything[-1].data["note"].body == "Oldest note"
