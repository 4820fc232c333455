"""Who may reach which client route: a table of route x role -> status, partials included."""
import pytest

from clientbook.extensions import db
from tests.support.clients import HX, allow_associates_everything, make_client


@pytest.fixture
def ada_client(app, shop):
    """A client assigned to the associate Ada, in a strict shop (associates open only their own clients)."""
    with app.app_context():
        allow_associates_everything(False)
        return make_client("Éloïse", "Marchand", email="eloise@example.com", phone="+33612345678",
                           assigned_to_id=shop["associate"])


ROUTES = [
    # method, url, htmx, data, {role: status}
    ("GET", "/clients", False, None, dict(owner=200, manager=200, associate=200, associate2=200)),
    ("GET", "/clients?q=elo", True, None, dict(owner=200, manager=200, associate=200, associate2=200)),
    ("GET", "/clients/search?q=elo", True, None, dict(owner=200, manager=200, associate=200, associate2=200)),
    ("GET", "/clients/new", False, None, dict(owner=200, manager=200, associate=200, associate2=200)),
    ("GET", "/clients/{id}", False, None, dict(owner=200, manager=200, associate=200, associate2=404)),
    ("GET", "/clients/{id}/contact/edit", True, None, dict(owner=200, manager=200, associate=200, associate2=404)),
    ("GET", "/clients/{id}/contact/edit", False, None, dict(owner=200, manager=200, associate=200, associate2=404)),
    ("GET", "/clients/{id}/sections/contact", True, None, dict(owner=200, manager=200, associate=200, associate2=404)),
    ("GET", "/clients/{id}/preferences/edit", True, None, dict(owner=200, manager=200, associate=200, associate2=404)),
    ("GET", "/clients/{id}/consent/edit", True, None, dict(owner=200, manager=200, associate=200, associate2=404)),
    ("GET", "/clients/{id}/tags/edit", True, None, dict(owner=200, manager=200, associate=200, associate2=404)),
    ("GET", "/clients/{id}/dates/new", True, None, dict(owner=200, manager=200, associate=200, associate2=404)),
    ("GET", "/clients/{id}/wishlist/new", True, None, dict(owner=200, manager=200, associate=200, associate2=404)),
    ("GET", "/clients/{id}/purchases/new", True, None, dict(owner=200, manager=200, associate=200, associate2=404)),
    ("GET", "/clients/{id}/purchases/item-row?index=3", True, None, dict(owner=200, manager=200, associate=200, associate2=404)),
    ("POST", "/clients/{id}/notes", True, {"note-body": "Likes pearls"}, dict(owner=200, manager=200, associate=200, associate2=404)),
    ("POST", "/clients/{id}/notes", False, {"note-body": "Likes pearls"}, dict(owner=303, manager=303, associate=303, associate2=404)),
    ("POST", "/clients/{id}/tags", True, {"tags-tags": "vip"}, dict(owner=200, manager=200, associate=200, associate2=404)),
    ("POST", "/clients/{id}/wishlist", True, {"wish-description": "Pearl studs"}, dict(owner=200, manager=200, associate=200, associate2=404)),
    ("GET", "/clients/{id}/assignment/edit", True, None, dict(owner=200, manager=200, associate=403, associate2=403)),
    ("POST", "/clients/{id}/assignment", True, {"assign-assigned_to_id": ""}, dict(owner=200, manager=200, associate=403, associate2=403)),
    ("GET", "/clients/{id}/merge", False, None, dict(owner=200, manager=200, associate=403, associate2=403)),
    ("POST", "/clients/{id}/archive", False, {}, dict(owner=303, manager=303, associate=403, associate2=403)),
    ("POST", "/clients/{id}/archive", True, {}, dict(owner=204, manager=204, associate=403, associate2=403)),
    ("POST", "/clients/{id}/unarchive", False, {}, dict(owner=303, manager=303, associate=403, associate2=403)),
    ("GET", "/clients/reassign", False, None, dict(owner=200, manager=200, associate=403, associate2=403)),
    ("POST", "/clients/assign", False, {"client_ids": "{id}", "to_user_id": ""}, dict(owner=303, manager=303, associate=403, associate2=403)),
]
CASES = [(method, url, htmx, data, role, expected)
         for method, url, htmx, data, table in ROUTES for role, expected in table.items()]


@pytest.mark.parametrize("method,url,htmx,data,role,expected", CASES,
                         ids=[f"{c[0]} {c[1]}{' hx' if c[2] else ''} as {c[4]}" for c in CASES])
def test_route_by_role(client, auth, ada_client, method, url, htmx, data, role, expected):
    auth.login(role)
    url = url.replace("{id}", str(ada_client))
    data = {k: v.replace("{id}", str(ada_client)) for k, v in (data or {}).items()}
    headers = HX if htmx else {}
    response = client.get(url, headers=headers) if method == "GET" else client.post(url, data=data, headers=headers)
    assert response.status_code == expected


@pytest.mark.parametrize("url", ["/clients/{id}", "/clients/{id}/contact/edit", "/clients/{id}/sections/dates"])
def test_shop_can_let_associates_open_every_card(client, auth, app, ada_client, url):
    with app.app_context():
        allow_associates_everything()
    auth.login("associate2")
    assert client.get(url.replace("{id}", str(ada_client)), headers=HX).status_code == 200
    # ...but managing the book stays with managers.
    assert client.get(f"/clients/{ada_client}/merge").status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client, shop, ada_client):
    for url in ("/clients", f"/clients/{ada_client}", f"/clients/{ada_client}/contact/edit"):
        response = client.get(url, headers=HX)  # htmx: the whole page goes to sign-in, never a fragment
        assert response.status_code == 401 and response.headers["HX-Redirect"].startswith("/login")
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_unknown_client_is_404(client, auth):
    auth.login("owner")
    assert client.get("/clients/999999").status_code == 404
    assert client.post("/clients/999999/notes", data={"note-body": "x"}).status_code == 404


def test_partials_are_fragments_and_vary_on_hx_request(client, auth, ada_client):
    auth.login("associate")
    partial = client.get(f"/clients/{ada_client}/contact/edit", headers=HX)
    assert b"<html" not in partial.data and b'id="contact"' in partial.data
    assert "HX-Request" in partial.headers.get("Vary", "")
    page = client.get(f"/clients/{ada_client}/contact/edit")
    assert b"<html" in page.data and b'name="contact-email"' in page.data


def test_access_helpers(app, shop, ada_client):
    from clientbook.clients.access import can_open_client, visible_clients_filter
    from clientbook.models import Client, Shop, User

    with app.app_context():
        the_shop = db.session.query(Shop).one()
        bea = db.session.get(User, shop["associate2"])
        ada = db.session.get(User, shop["associate"])
        client = db.session.get(Client, ada_client)
        assert can_open_client(ada, client, the_shop) and not can_open_client(bea, client, the_shop)
        visible = db.session.query(Client.id).filter(visible_clients_filter(bea, the_shop)).all()
        assert visible == []
        the_shop.associates_see_all_clients = True
        assert can_open_client(bea, client, the_shop)
        assert db.session.query(Client.id).filter(visible_clients_filter(bea, the_shop)).all() == [(ada_client,)]
