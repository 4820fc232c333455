"""One tag whatever its case or accents, shown as the shop first wrote it: card, import, filters, search."""
import sqlalchemy as sa

from clientbook.clients.filters import ClientFilter, filtered_clients_query
from clientbook.clients.search import search_clients
from clientbook.extensions import db
from clientbook.models import Client, ClientTag, User
from clientbook.tags import distinct_tags, shop_spellings
from tests.support.clients import make_client


def test_a_tag_typed_differently_joins_the_shop_spelling(client, auth, app, shop):
    with app.app_context():
        imported = make_client("Anna", "Martin", tags=("VIP",))
        typed = make_client("Léa", "Morel")
    auth.login("owner")
    response = client.post(f"/clients/{typed}/tags", data={"tags-tags": "vip, Éclat, #ECLAT, bridal"})
    assert response.status_code in (200, 303)
    with app.app_context():
        assert db.session.get(Client, typed).tag_names == ["bridal", "VIP", "Éclat"]
        assert distinct_tags() == ["bridal", "Éclat", "VIP"]
        owner = db.session.get(User, shop["owner"])
        found = db.session.scalars(filtered_clients_query(ClientFilter(tag="vip", scope="all"), owner, None)).all()
        assert {c.id for c in found} == {imported, typed}
        assert {row.id for row in search_clients("#vip", country="FR").clients} == {imported, typed}


def test_removing_a_tag_in_another_case_removes_it(client, auth, app, shop):
    with app.app_context():
        anna = make_client("Anna", "Martin", tags=("VIP", "bridal"))
    auth.login("owner")
    client.post(f"/clients/{anna}/tags", data={"tags-tags": "BRIDAL"})
    with app.app_context():
        assert db.session.get(Client, anna).tag_names == ["bridal"]


def test_spellings_keep_the_first_written_and_drop_repeats(app, shop):
    with app.app_context():
        make_client("Anna", "Martin", tags=("VIP",))
        assert shop_spellings(["vip", "Vip ", "  new   tag", "NEW TAG", ""]) == ["VIP", "new tag"]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ClientTag)) == 1
