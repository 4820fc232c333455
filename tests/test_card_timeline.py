"""The card's timeline says who wrote each note: a person, or "Import" for notes from a file."""
from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from clientbook.extensions import db
from clientbook.models import Client
from tests.support.html import Element, one, select

FIXTURES = Path(__file__).parent / "fixtures"


def note_events(page: str) -> list[Element]:
    return select(page, "li.cl-event.cl-event-note")


def test_an_imported_note_is_credited_to_import_and_a_typed_one_to_its_author(client, auth, app, shop, runner):
    result = runner.invoke(args=["import-clients", str(FIXTURES / "shopify_customers.csv")])
    assert result.exit_code == 0, result.output
    with app.app_context():
        client_id = db.session.scalar(sa.select(Client.id).where(Client.email == "eloise.dubois@example.com"))
    auth.login("associate")
    client.post(f"/clients/{client_id}/notes", data={"note-body": "Came in for the pearls."})
    typed, imported = note_events(client.get(f"/clients/{client_id}").get_data(as_text=True))
    assert "Came in for the pearls." in typed.text
    assert one(typed, ".sub.cl-event-by").text == "Ada Associate"
    assert "Loves pearls." in imported.text
    assert one(imported, ".sub.cl-event-by").text == "Import"
