"""Where the app compares people's words, it folds case and accents the same way (clientbook.text)."""
import pytest

from clientbook.clients.queries import possible_duplicates
from clientbook.extensions import db
from clientbook.models import Client, PreferenceKey
from tests.support.clients import make_client


@pytest.mark.parametrize("first, last, flagged", [
    ("Éloïse", "Marchand", True),  # the same, accents and all
    ("ELOISE", "MARCHAND", True),  # typed without accents, in capitals
    ("eloise", "marchand", True),
    ("Éloïse", "Marchande", False),
    ("Héloïse", "Marchand", False),
])
def test_twins_are_possible_duplicates(app, shop, first, last, flagged):
    with app.app_context():
        original = make_client("Éloïse", "Marchand")
        twin = make_client(first, last)
        found = [c.id for c in possible_duplicates(db.session.get(Client, twin))]
        assert (original in found) is flagged
        assert twin not in found


def test_duplicates_by_email_and_phone_and_never_merged_ones(app, shop):
    with app.app_context():
        by_email = make_client("Anna", "Martin", email="anna@example.com")
        by_phone = make_client("Zoé", "Other", phone="+33612345678")
        merged = make_client("Anna", "Martin")
        db.session.get(Client, merged).merged_into_id = by_email
        db.session.commit()
        probe = make_client("Someone", "Else", email="anna@example.com", phone="+33612345678")
        assert {c.id for c in possible_duplicates(db.session.get(Client, probe))} == {by_email, by_phone}


def test_a_preference_spelled_differently_is_the_same_preference(client, auth, app):
    auth.login("manager")
    with app.app_context():
        db.session.add(PreferenceKey(name="Métal préféré"))
        db.session.commit()
    response = client.post("/settings/preferences", data={"name": "METAL PREFERE"})
    assert response.status_code == 422 and "That preference already exists." in response.get_data(as_text=True)
