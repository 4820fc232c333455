"""Finding clients as you type: names, phones, emails, tags; ranking, paging and visibility."""
import pytest
import sqlalchemy as sa

from clientbook.clients.search import parse_query, search_clients
from clientbook.clients.views import PER_PAGE
from clientbook.extensions import db
from clientbook.models import Client
from tests.support.clients import HX, allow_associates_everything, make_client
from tests.support.html import select


@pytest.fixture
def book(app, shop):
    with app.app_context():
        ids = {
            "eloise": make_client("Éloïse", "Marchand", email="eloise.m@example.com", phone="+33612345678",
                                  tags=("vip", "bridal"), assigned_to_id=shop["associate"]),
            "anna": make_client("Anna", "Dupont", email="anna@dupont.fr", phone="+33698765432",
                                assigned_to_id=shop["associate2"]),
            "annabelle": make_client("Annabelle", "Arnaud", phone="+442079460958", tags=("watches",)),
            "marc": make_client("Marc", "Annan", email="marc@annan.com"),
            "old": make_client("Anna", "Archived", archived_at=db.func.now()),
        }
        merged = make_client("Anna", "Merged")
        db.session.get(Client, merged).merged_into_id = ids["anna"]
        db.session.commit()
        ids["merged"] = merged
        from clientbook.search_index import refresh_search_tokens
        refresh_search_tokens([merged])
        db.session.commit()
        return ids


def found(app, q, **kwargs):
    with app.app_context():
        where = kwargs.pop("where", [Client.archived_at.is_(None)])
        page = search_clients(q, country="FR", where=where, **kwargs)
        return [row.id for row in page.clients]


@pytest.mark.parametrize("q,expected", [
    ("eloise", ["eloise"]),
    ("ÉLOÏSE", ["eloise"]),
    ("elo", ["eloise"]),
    ("eloise march", ["eloise"]),
    ("march eloise", ["eloise"]),
    ("eloise dupont", []),
    ("06 12 34 56 78", ["eloise"]),
    ("0612345678", ["eloise"]),
    ("+33 6 12 34 56 78", ["eloise"]),
    ("+33612345678", ["eloise"]),
    ("06.12.34", ["eloise"]),
    ("5678", ["eloise"]),
    ("0958", ["annabelle"]),
    ("eloise.m@example.com", ["eloise"]),
    ("anna@dup", ["anna"]),
    ("#vip", ["eloise"]),
    ("#watch", ["annabelle"]),
    ("vip", ["eloise"]),
    ("zzz", []),
    ("", []),
])
def test_search_finds(app, book, q, expected):
    assert found(app, q) == [book[name] for name in expected]


def test_archived_and_merged_clients_are_left_out(app, book):
    results = found(app, "anna")
    assert book["old"] not in results and book["merged"] not in results
    # The archived one can still be found when asked for.
    assert book["old"] in found(app, "anna", where=[])
    assert book["merged"] not in found(app, "anna", where=[])


def test_exact_name_matches_rank_before_prefix_matches(app, book):
    # "Anna Dupont" (exact word) before "Annabelle Arnaud" and "Marc Annan" (prefixes), each group by last name.
    assert found(app, "anna") == [book["anna"], book["marc"], book["annabelle"]]


def test_pagination_continues_across_rank_groups(app, shop):
    with app.app_context():
        exact = [make_client("Lea", f"Exact{i:02}") for i in range(4)]
        prefix = [make_client("Leane", f"Prefix{i:02}") for i in range(5)]
    pages = [found(app, "lea", page=n, per_page=3) for n in (1, 2, 3, 4)]
    assert pages[0] + pages[1] + pages[2] == exact + prefix
    assert pages[3] == []
    with app.app_context():
        first = search_clients("lea", country="FR", per_page=3)
        last = search_clients("lea", country="FR", page=3, per_page=3)
        assert first.has_more and first.next_page == 2 and not last.has_more


def test_common_prefix_ranks_exact_first_then_name_order_wherever_matches_fall(app, shop):
    """Many matches late in the alphabet (first name "Marie", last names "Zed..") come out in rank order."""
    with app.app_context():
        zeds = [make_client("Marie", f"Zed{i:02}") for i in range(12)]
        aaron = make_client("Mario", "Aaron")
        mar = make_client("Lou", "Mar")
    assert found(app, "mar", per_page=5) == [mar, aaron, *zeds[:3]]
    assert found(app, "mar", page=3, per_page=5) == zeds[8:]
    assert found(app, "marie", per_page=20) == zeds


def test_multi_word_query_ands_words_whichever_is_rarer(app, shop):
    with app.app_context():
        roux = [make_client("Marie", f"Roux{i}") for i in range(3)]
        others = [make_client("Marie", f"Dupont{i}") for i in range(6)]
        make_client("Paul", "Roux")
    assert found(app, "marie rou") == roux
    assert found(app, "rou marie") == roux
    assert found(app, "ma du") == others


def test_tags_phones_and_emails_list_in_name_order(app, shop):
    with app.app_context():
        b = make_client("Zoe", "Bravo", email="zb@shop.fr", phone="+33611110001", tags=("gold",))
        a = make_client("Yann", "Alpha", email="ya@shop.fr", phone="+33622220001", tags=("gold",))
    assert found(app, "#gold") == [a, b]
    assert found(app, "0001") == [a, b]
    assert found(app, "#gold 0001") == [a, b]
    assert found(app, "zb@shop") == [b]


def test_visibility_filter_applies_to_every_page(app, shop):
    with app.app_context():
        mine = [make_client("Anna", f"Mine{i:02}", assigned_to_id=shop["associate"]) for i in range(5)]
        for i in range(5):
            make_client("Anna", f"Other{i:02}", assigned_to_id=shop["associate2"])
    where = [Client.archived_at.is_(None), Client.assigned_to_id == shop["associate"]]
    assert found(app, "ann", where=where, per_page=3) + found(app, "ann", where=where, page=2, per_page=3) == mine


def test_query_parsing():
    assert [t.prefixes for t in parse_query("#VIP", "FR")] == [["#vip"]]
    phone = parse_query("06 12 34", "FR")[0]
    assert "p:3361234" in phone.prefixes and "r:432160" in phone.prefixes
    assert [t.exact for t in parse_query("Éloïse o'brien", "FR")] == [["eloise", "#eloise"], ["o", "#o"], ["brien", "#brien"]]


def test_list_search_respects_visibility(client, auth, app, book):
    auth.login("associate")
    # The store book (the default): an associate finds everyone, and sees who looks after them.
    assert b"Dupont" in client.get("/clients/search?q=dupont", headers=HX).data
    assert b"Dupont" in client.get("/clients?q=dupont", headers=HX).data
    assert b"Dupont" not in client.get("/clients?q=dupont&scope=mine", headers=HX).data
    with app.app_context():
        allow_associates_everything(False)
    assert b"Marchand" in client.get("/clients?q=elo", headers=HX).data
    for url in ("/clients?q=dupont", "/clients/search?q=dupont"):
        page = client.get(url, headers=HX).get_data(as_text=True)
        # Strict: the client exists and who to ask, but no card link and no contact details.
        assert "Dupont" in page and "Bea Associate" in page and "No client matches" not in page
        assert f"/clients/{book['anna']}" not in page and "anna@dupont.fr" not in page


def test_quick_search_dropdown_is_small_and_links_to_cards(client, auth, app, shop):
    with app.app_context():
        for i in range(30):
            make_client("Camille", f"Name{i:02}", email=f"camille{i}@example.com", phone=f"+336123400{i:02}",
                        tags=("vip", "bridal"))
    auth.login("owner")
    response = client.get("/clients/search?q=cam", headers=HX)
    assert response.status_code == 200
    assert len(response.data) <= 8 * 1024
    assert response.data.count(b'role="option"') == 8
    assert b"See all results" in response.data
    list_partial = client.get("/clients?q=cam", headers=HX)
    # Rows carry lifetime spend since the list shows it; the budget that counts is on the wire (below).
    assert b"Load more" in list_partial.data and len(list_partial.data) <= 12 * 1024
    on_the_wire = client.get("/clients?q=cam", headers={**HX, "Accept-Encoding": "gzip"})
    assert on_the_wire.headers.get("Content-Encoding") == "gzip" and len(on_the_wire.data) <= 8 * 1024
    # Without htmx the drop-down URL is the list page.
    assert client.get("/clients/search?q=cam").status_code == 302


def test_load_more_returns_just_the_next_rows(client, auth, app, shop):
    with app.app_context():
        for i in range(30):
            make_client("Camille", f"Name{i:02}")
    auth.login("owner")
    more = client.get("/clients?q=camille&page=2", headers={**HX, "HX-Target": "load-more-2"})
    assert more.status_code == 200
    assert len(select(more.data, "li.cl-row")) == 30 - PER_PAGE and b'id="client-results"' not in more.data
    assert f"Name{PER_PAGE:02}".encode() in more.data and f"Name{PER_PAGE - 1:02}".encode() not in more.data


def test_search_uses_few_queries(app, book):
    """No N+1: a result page costs a handful of queries whatever its size."""
    from sqlalchemy import event

    statements = []
    with app.app_context():
        for i in range(20):
            make_client("Anna", f"Many{i:02}", tags=("vip", "x"))

        def count_statement(*_args):
            statements.append(1)

        event.listen(db.engine, "before_cursor_execute", count_statement)
        try:
            search_clients("ann", country="FR", per_page=25)
        finally:
            event.remove(db.engine, "before_cursor_execute", count_statement)
    assert len(statements) <= 5


def test_a_word_with_letters_never_matches_a_phone_number(app, shop):
    with app.app_context():
        abe = make_client("Kenji", "Abe", phone="+33611112222")  # phone tokens start "p:" and "r:"
        rossi = make_client("Kenji", "Rossi", phone="+33633334444")
        paul = make_client("Paul", "Petit", phone="+33655556666")
    assert found(app, "kenji r") == [rossi]
    assert found(app, "kenji p") == []
    assert found(app, "p") == [paul]
    assert found(app, "4444") == [rossi]


def test_accented_names_sort_with_their_letters(app, shop):
    with app.app_context():
        zola = make_client("Anne", "Zola")
        etienne = make_client("Anne", "Étienne")
        eric = make_client("Anne", "Eric")
        fabre = make_client("Anne", "Fabre")
    assert found(app, "anne") == [eric, etienne, fabre, zola]
