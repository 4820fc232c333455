"""The card behaves: Cancel keeps the card, redraws say where to go, the phone's actions, one item row."""
from tests.support.clients import HX, make_client
from tests.support.html import one, roots, select


def _client(app, shop):
    with app.app_context():
        return make_client("Kenji", "Rossi", phone="+33612345678", assigned_to_id=shop["associate"])


def test_cancel_on_add_date_and_wish_swaps_only_its_section(client, auth, app, shop):
    kenji = _client(app, shop)
    auth.login("associate")
    for url, section in ((f"/clients/{kenji}/dates/new", "dates"), (f"/clients/{kenji}/wishlist/new", "wishlist")):
        form = client.get(url, headers=HX).get_data(as_text=True)
        cancel = one(form, "a.btn", text="Cancel")
        # The form posts to the whole card; Cancel must not inherit that target.
        assert cancel["hx-target"] == f"#{section}" and cancel["hx-swap"] == "outerHTML"
        redrawn = client.get(f"/clients/{kenji}/sections/{section}", headers=HX).get_data(as_text=True)
        first = roots(redrawn)[0]
        assert (first.tag, first.get("id")) == ("section", section)


def test_a_redraw_names_what_changed(client, auth, app, shop):
    kenji = _client(app, shop)
    auth.login("associate")
    saved = client.post(f"/clients/{kenji}/notes", data={"note-body": "Likes pearls"}, headers=HX)
    assert 'data-focus="timeline"' in saved.get_data(as_text=True)
    refused = client.post(f"/clients/{kenji}/dates", data={"date-kind": "birthday", "date-day": "31",
                                                          "date-month": "2"}, headers=HX)
    assert refused.status_code == 422 and 'aria-invalid="true"' in refused.get_data(as_text=True)
    opened = client.get(f"/clients/{kenji}/dates/new", headers=HX).get_data(as_text=True)
    assert "data-autofocus" in opened


def test_phone_actions_call_and_one_item_row(client, auth, app, shop):
    kenji = _client(app, shop)
    auth.login("associate")
    card = client.get(f"/clients/{kenji}").get_data(as_text=True)
    assert [link.text for link in select(card, "nav.cl-phone-bar a")] == ["Note", "Purchase", "Text", "Call"]
    assert one(card, "a.cl-call")["href"] == "tel:+33612345678"
    assert one(card, "a.cl-call").classes == {"btn", "msg-action", "cl-call"}
    purchase = client.get(f"/clients/{kenji}/purchases/new", headers=HX).get_data(as_text=True)
    assert purchase.count('name="purchase-items-0-description"') == 1
    assert 'name="purchase-items-1-description"' not in purchase
