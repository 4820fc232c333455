"""The client list without a search term: folded name order, stable "load more" pages, the sort key kept up to date."""
import re
from datetime import date

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from clientbook.clients.merge import merge_clients
from clientbook.clients.queries import purchase_summary
from clientbook.clients.records import set_contact
from clientbook.clients.views import PER_PAGE
from clientbook.extensions import db
from clientbook.imports.demo import seed_demo
from clientbook.models import Client, Purchase, Shop
from clientbook.money import format_money
from clientbook.models.clients import client_sort_name
from tests.support.clients import HX, make_client
from tests.support.html import select

CARD = re.compile(r"^/clients/(\d+)$")


def listed(client, url, headers=HX) -> list[int]:
    """Client ids of the list's rows, in page order (from each row's card link)."""
    response = client.get(url, headers=headers)
    assert response.status_code == 200
    return [int(CARD.match(link["href"]).group(1)) for link in select(response.get_data(as_text=True), "a.cl-row-link")]


@pytest.mark.parametrize("who", ["owner", "associate"])
def test_accented_names_list_with_their_letters(client, auth, app, shop, who):
    with app.app_context():
        ids = {name: make_client(name, "", assigned_to_id=shop["associate"])
               for name in ("Étienne", "Eve", "Zoë", "Émile", "zack")}
    auth.login(who)
    expected = [ids[name] for name in ("Émile", "Étienne", "Eve", "zack", "Zoë")]
    assert listed(client, "/clients") == expected
    assert listed(client, "/clients", headers={}) == expected  # the whole page too
    assert listed(client, "/clients?scope=mine", headers=HX) == (expected if who == "associate" else [])


def test_last_name_orders_before_first_name_and_namesakes_by_id(client, auth, app, shop):
    with app.app_context():
        martin_zoe = make_client("Zoé", "Martin")
        martinez = make_client("Anna", "Martínez")
        martin_anne = make_client("anne", "MARTIN")
        twin = make_client("Anne", "Martin")
        nameless = make_client("", "", email="b.client@example.com")
    auth.login("owner")
    assert listed(client, "/clients") == [nameless, martin_anne, twin, martin_zoe, martinez]


def test_load_more_pages_neither_repeat_nor_skip(client, auth, app, shop):
    """Many namesakes (equal sort keys) straddle page boundaries: the id breaks the tie."""
    with app.app_context():
        ids = [make_client(first, last) for last in ("Émond", "Eve", "Zoë") for first in ("Anne", "ANNE", "Ânne")
               for _ in range(5)]
        expected = db.session.scalars(sa.select(Client.id).order_by(Client.sort_name, Client.id)).all()
    auth.login("owner")
    seen = listed(client, "/clients")
    page = 2
    while len(seen) < len(ids) and page < 10:
        seen += listed(client, f"/clients?page={page}", headers={**HX, "HX-Target": f"load-more-{page}"})
        page += 1
    assert page == 2 + (len(ids) - 1) // PER_PAGE
    assert seen == expected and sorted(seen) == sorted(ids)
    assert [client_sort_name(first, last) for first, last in (("Anne", "Émond"), ("ANNE", "Eve"), ("x", "Zoë"))] \
        == ["emond anne", "eve anne", "zoe x"]


def test_sort_key_follows_every_write_of_a_name(app, shop):
    with app.app_context():
        shop_row = db.session.scalar(sa.select(Shop))
        renamed = make_client("Anna", "Zola")
        client = db.session.get(Client, renamed)
        set_contact(client, shop_row, first_name="Élodie", last_name="Évora", email=None, phone=None)
        db.session.commit()
        assert db.session.get(Client, renamed).sort_name == "evora elodie"

        # A merge fills the kept card's missing name from the other card.
        kept = make_client("", "", email="kept@example.com")
        other = make_client("Ôdile", "Brun", email="other@example.com")
        assert db.session.get(Client, kept).sort_name == "kept@example.com"
        merge_clients(kept, [other], actor=None)
        db.session.commit()
        assert db.session.get(Client, kept).sort_name == "brun odile"

        # Set-based writes (imports) bypass the ORM: the index refresh brings the key up to date.
        db.session.execute(sa.update(Client.__table__).where(Client.id == renamed).values(last_name="Adam"))
        from clientbook.search_index import refresh_search_tokens
        refresh_search_tokens([renamed])
        db.session.commit()
        assert db.session.get(Client, renamed).sort_name == "adam elodie"

        seed_demo(force=True)
        db.session.commit()
        wrong = db.session.scalar(sa.select(sa.func.count()).select_from(Client).where(
            Client.sort_name != sa.func.fold(Client.last_name) + " " + sa.func.fold(Client.first_name),
            Client.first_name != "", Client.last_name != ""))
        assert wrong == 0


def test_import_writes_the_sort_key(app, shop, tmp_path):
    csv_path = tmp_path / "clients.csv"
    csv_path.write_text("First Name,Last Name,Email\nÉmile,Ängström,emile@example.com\n,,solo@example.com\n",
                        encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["import-clients", str(csv_path)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        keys = {email: key for email, key in db.session.execute(sa.select(Client.email, Client.sort_name))}
    assert keys == {"emile@example.com": "angstrom emile", "solo@example.com": "solo@example.com"}


@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_migrations_back_fill_the_sort_keys(app):
    with app.app_context():
        db.drop_all()
        upgrade(revision="0010_signin")
        for index, (first, last) in enumerate((("Zoë", "Étienne"), ("", ""), ("Eve", "Ödegaard"))):
            db.session.execute(sa.text(
                "INSERT INTO client (id, first_name, last_name, email, phone_valid, address, email_opt_in, "
                "email_opt_in_source, sms_opt_in, sms_opt_in_source, created_at, updated_at) VALUES "
                "(:id, :first, :last, :email, false, '', false, '', false, '', :now, :now)"),
                {"id": index + 1, "first": first, "last": last, "email": f"c{index}@example.com",
                 "now": "2026-01-01 00:00:00"})
        db.session.execute(sa.text("INSERT INTO client_search_token (token, client_id) VALUES ('zoe', 1), ('eve', 3)"))
        db.session.commit()
        upgrade()
        keys = db.session.execute(sa.text("SELECT id, sort_name FROM client ORDER BY id")).all()
        assert [tuple(k) for k in keys] == [(1, "etienne zoe"), (2, "c1@example.com"), (3, "odegaard eve")]
        # The tokens carry their client's key (0014_book_search).
        tokens = db.session.execute(sa.text("SELECT token, sort_key FROM client_search_token ORDER BY token")).all()
        assert [tuple(t) for t in tokens] == [("eve", "odegaard eve"), ("zoe", "etienne zoe")]
        db.session.remove()
        db.drop_all()
        db.session.execute(sa.text("DROP TABLE alembic_version"))
        db.session.commit()


def add_purchase(client_id: int, cents: int, on=date(2026, 5, 1)) -> None:
    db.session.add(Purchase(client_id=client_id, purchased_on=on, total_cents=cents))
    db.session.commit()


def test_rows_show_lifetime_spend_with_the_history_before_the_import(client, auth, app, shop):
    with app.app_context():
        collector = make_client("Ana", "Adam", prior_spent_cents=315000, prior_orders=4, prior_as_of=date(2026, 3, 12))
        add_purchase(collector, 12550)
        add_purchase(collector, 100000)
        newcomer = make_client("Zoé", "Zola")
        card_spend = purchase_summary(collector).spend_cents
        expected = [(format_money(427550, "EUR", "fr_FR"), "4,3\u00a0k\u00a0€"), (format_money(0, "EUR", "fr_FR"), "0\u00a0€")]
    assert card_spend == 427550  # the card and the list read the same expression
    auth.login("associate")
    for url, headers, rows in (("/clients", HX, expected), ("/clients", {}, expected), ("/clients?q=ana", HX, expected[:1])):
        page = client.get(url, headers=headers).get_data(as_text=True)
        assert [(spend.one("span").text, spend.one("small").text)
                for spend in select(page, ".cl-spend")] == rows, url
    assert listed(client, "/clients") == [collector, newcomer]


def test_the_list_costs_the_same_queries_whatever_the_page_holds(client, auth, app, shop):
    def statements_for(url: str) -> int:
        count = []
        with app.app_context():
            listener = lambda *_args: count.append(1)  # noqa: E731
            sa.event.listen(db.engine, "before_cursor_execute", listener)
            try:
                assert client.get(url, headers=HX).status_code == 200
            finally:
                sa.event.remove(db.engine, "before_cursor_execute", listener)
        return len(count)

    auth.login("owner")
    with app.app_context():
        first = make_client("Anna", "Alpha", tags=("vip",))
        add_purchase(first, 5000)
    few = statements_for("/clients"), statements_for("/clients?q=ann")
    with app.app_context():
        for i in range(30):
            many = make_client("Anna", f"Many{i:02}", tags=("vip", "gold"), prior_spent_cents=1000 * i)
            add_purchase(many, 2500)
    assert (statements_for("/clients"), statements_for("/clients?q=ann")) == few
