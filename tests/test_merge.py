"""Merging duplicates: nothing lost, the duplicates leave search."""
from datetime import date, datetime

import pytest
import sqlalchemy as sa

from clientbook.clients.merge import MergeError, merge_clients
from clientbook.clients.search import search_clients
from clientbook.extensions import db
from clientbook.models import (
    Client, ClientExternalId, ImportantDate, Note, Preference, PreferenceKey, Purchase, User, WishlistItem,
)
from clientbook.signals import clients_merged
from tests.support.clients import make_client


@pytest.fixture
def duplicates(app, shop):
    with app.app_context():
        ring, metal, style = (PreferenceKey(name=n) for n in ("Ring size", "Metal", "Style"))
        db.session.add_all([ring, metal, style])
        db.session.flush()
        kept = make_client("Anna", "Martin", email="anna@example.com", tags=("vip",),
                           sms_opt_in=False, sms_opt_in_at=datetime(2024, 1, 1), sms_opt_in_source="Asked in store",
                           email_opt_in=True, email_opt_in_at=datetime(2025, 1, 1), email_opt_in_source="Signed form")
        dup = make_client("Anna", "Martin", phone="+33612345678", tags=("bridal", "vip"), address="1 rue X",
                          assigned_to_id=shop["associate"],
                          sms_opt_in=True, sms_opt_in_at=datetime(2025, 6, 1), sms_opt_in_source="Online form",
                          email_opt_in=False, email_opt_in_at=datetime(2024, 3, 1), email_opt_in_source="Unsubscribed")
        dup2 = make_client("A.", "Martin", email="anna.martin@work.com")
        db.session.add_all([
            ImportantDate(client_id=kept, kind="birthday", month=6, day=14),
            ImportantDate(client_id=dup, kind="birthday", month=6, day=14),  # identical: deduplicated
            ImportantDate(client_id=dup, kind="anniversary", month=9, day=2, for_whom="husband Paul"),
            Preference(client_id=kept, key_id=ring.id, value="52"),
            Preference(client_id=dup, key_id=ring.id, value="54"),  # kept value wins
            Preference(client_id=dup, key_id=metal.id, value="Rose gold"),
            Preference(client_id=dup2, key_id=style.id, value="Vintage"),
            Purchase(client_id=dup, purchased_on=date(2025, 3, 2), total_cents=12000),
            Purchase(client_id=dup2, purchased_on=date(2024, 3, 2), total_cents=5000),
            Note(client_id=dup, body="Met at the trunk show"),
            WishlistItem(client_id=dup2, description="Pearl studs"),
            ClientExternalId(client_id=dup, source="pos", value="C-42"),
        ])
        db.session.commit()
        return {"kept": kept, "dup": dup, "dup2": dup2, "ring": ring.id, "metal": metal.id, "style": style.id}


def test_merge_keeps_everything(app, shop, duplicates):
    events = []

    def on_merge(sender, **kwargs):
        events.append(kwargs)

    clients_merged.connect(on_merge, app)
    try:
        with app.app_context():
            actor = db.session.get(User, shop["manager"])
            merge_clients(duplicates["kept"], [duplicates["dup"], duplicates["dup2"]], actor)
            db.session.commit()
    finally:
        clients_merged.disconnect(on_merge, app)
    assert events == [{"kept_id": duplicates["kept"], "merged_ids": sorted([duplicates["dup"], duplicates["dup2"]])}]
    with app.app_context():
        kept = db.session.get(Client, duplicates["kept"])
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Purchase).where(Purchase.client_id == kept.id)) == 2
        assert db.session.scalar(sa.select(sa.func.count()).select_from(WishlistItem).where(WishlistItem.client_id == kept.id)) == 1
        notes = db.session.scalars(sa.select(Note.body).where(Note.client_id == kept.id)).all()
        assert "Met at the trunk show" in notes and any(n.startswith("Merged") for n in notes)
        assert sorted((d.kind, d.month, d.day, d.for_whom) for d in kept.important_dates) == [
            ("anniversary", 9, 2, "husband Paul"), ("birthday", 6, 14, "")]
        assert {p.key_id: p.value for p in kept.preferences} == {
            duplicates["ring"]: "52", duplicates["metal"]: "Rose gold", duplicates["style"]: "Vintage"}
        assert kept.tag_names == ["bridal", "vip"]
        assert [e.value for e in kept.external_ids] == ["C-42"]
        # Consent: the most recent explicit choice per channel.
        assert (kept.sms_opt_in, kept.sms_opt_in_source) == (True, "Online form")
        assert (kept.email_opt_in, kept.email_opt_in_source) == (True, "Signed form")
        # Empty contact fields filled, existing ones kept.
        assert (kept.email, kept.phone, kept.address, kept.assigned_to_id) == (
            "anna@example.com", "+33612345678", "1 rue X", shop["associate"])
        for merged_id in (duplicates["dup"], duplicates["dup2"]):
            merged = db.session.get(Client, merged_id)
            assert merged.merged_into_id == kept.id and merged.archived_at is not None
        # Only the kept card is found, also by the duplicates' details.
        for q in ("anna martin", "5678"):
            assert [r.id for r in search_clients(q, country="FR", where=[]).clients] == [kept.id]


def test_merge_refuses_nonsense(app, shop, duplicates):
    with app.app_context():
        with pytest.raises(MergeError):
            merge_clients(duplicates["kept"], [duplicates["kept"]], None)
        with pytest.raises(MergeError):
            merge_clients(duplicates["kept"], [999999], None)
        merge_clients(duplicates["kept"], [duplicates["dup"]], None)
        db.session.commit()
        with pytest.raises(MergeError):
            merge_clients(duplicates["dup2"], [duplicates["dup"]], None)


def test_merge_through_the_page(client, auth, app, duplicates):
    auth.login("manager")
    page = client.get(f"/clients/{duplicates['kept']}/merge")
    assert page.status_code == 200 and f'value="{duplicates["dup"]}"'.encode() in page.data  # suggested (same name)
    found = client.get(f"/clients/{duplicates['kept']}/merge?q=anna.martin@work", headers={"HX-Request": "true"})
    assert f'value="{duplicates["dup2"]}"'.encode() in found.data and b"<html" not in found.data
    nothing = client.post(f"/clients/{duplicates['kept']}/merge", data={})
    assert nothing.status_code == 422
    response = client.post(f"/clients/{duplicates['kept']}/merge", data={"merged_ids": [str(duplicates["dup"])]})
    assert response.status_code == 303
    # The merged card's address now leads to the kept one.
    redirect = client.get(f"/clients/{duplicates['dup']}")
    assert redirect.status_code == 302 and redirect.headers["Location"].endswith(f"/clients/{duplicates['kept']}")
    # ...and takes no more edits.
    assert client.post(f"/clients/{duplicates['dup']}/notes", data={"note-body": "x"}).status_code == 409
