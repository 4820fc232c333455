"""Privacy duties: a client's data export (JSON + CSV + photos in one zip) and erase (gone,
but their purchases stay anonymised in the shop's figures and their addresses stay suppressed
as hashes); owners and managers only; both logged without the name."""
from __future__ import annotations

import io
import json
import zipfile
from datetime import date

import pytest
import sqlalchemy as sa
from PIL import Image

from clientbook import create_app
from clientbook.extensions import db
from clientbook.media import add_photo, photo_path
from clientbook.messaging.consent import is_suppressed
from clientbook.models import (
    Client, ImportantDate, Message, Note, PrivacyRequest, Purchase, PurchaseItem, Reminder, Suppression,
)
from tests.conftest import AuthActions, make_shop, make_user


@pytest.fixture
def app(tmp_path, monkeypatch):
    """An app whose instance (and so its photos) lives in this test's folder."""
    monkeypatch.setenv("CLIENTBOOK_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'test.sqlite3'}",
                      "HUEY_IMMEDIATE": True, "SECRET_KEY": "test", "WTF_CSRF_ENABLED": False})
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 180, 20)).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def book(app):
    with app.app_context():
        make_shop()
        staff = {role: make_user(name, role).id for name, role in
                 [("Olivia Owner", "owner"), ("Max Manager", "manager"), ("Ada Associate", "associate")]}
        eloise = Client(first_name="Éloïse", last_name="Marchand", email="eloise@example.com",
                        phone="+33612345678", phone_valid=True, sms_opt_in=True, email_opt_in=True,
                        assigned_to_id=staff["associate"])
        other = Client(first_name="Marc", last_name="Dupont", email="marc@example.com")
        db.session.add_all([eloise, other])
        db.session.flush()
        purchase = Purchase(client_id=eloise.id, purchased_on=date(2026, 1, 5), total_cents=189_000,
                            external_id="POS-881", associate_id=staff["associate"])
        purchase.items.append(PurchaseItem(description="Akoya strand", amount_cents=189_000))
        db.session.add_all([
            purchase, Purchase(client_id=other.id, purchased_on=date(2026, 1, 6), total_cents=5_000),
            Note(client_id=eloise.id, body="=HYPERLINK(\"x\") husband Julien"),
            ImportantDate(client_id=eloise.id, kind="birthday", month=3, day=12),
            Message(client_id=eloise.id, channel="sms", to_address="+33612345678", body="Your ring is ready",
                    state="sent"),
            Reminder(rule_id=None, client_id=eloise.id, occurrence="m-1", kind="manual", reason="Call",
                     due_date=date(2026, 3, 12), owner_id=staff["associate"]),
        ])
        db.session.commit()
        add_photo(jpeg(), "ring.jpg", client_id=eloise.id, user_id=staff["associate"])
        db.session.commit()
        return {"eloise": eloise.id, "other": other.id, **staff}


def signed_in(app, who: str):
    client = app.test_client()
    AuthActions(client).login({"owner": "olivia@maison-perle.com", "manager": "max@maison-perle.com",
                               "associate": "ada@maison-perle.com"}[who])
    return client


def test_export_holds_everything_about_the_client_and_nobody_else(app, book):
    client = signed_in(app, "manager")
    answer = client.post(f"/clients/{book['eloise']}/privacy/export")
    assert answer.status_code == 200 and answer.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(answer.data))
    names = set(archive.namelist())
    assert {"client.json", "client.csv", "purchase.csv", "purchase_item.csv", "note.csv", "important_date.csv",
            "message.csv", "reminder.csv", "photo.csv"} <= names
    assert any(name.startswith("photos/") and name.endswith(".thumb.jpg") for name in names)
    tables = json.loads(archive.read("client.json"))["tables"]
    assert tables["client"][0]["email"] == "eloise@example.com"
    assert [p["external_id"] for p in tables["purchase"]] == ["POS-881"]
    assert tables["purchase_item"][0]["description"] == "Akoya strand"
    assert "marc@example.com" not in archive.read("client.json").decode()
    assert "'=HYPERLINK" in archive.read("note.csv").decode()  # CSV formulas neutralised
    with app.app_context():
        log = db.session.scalars(sa.select(PrivacyRequest)).all()
        assert [(entry.kind, entry.client_id, entry.user_id) for entry in log] == \
            [("export", book["eloise"], book["manager"])]


def test_erase_removes_the_client_keeps_figures_and_suppresses_the_addresses(app, book):
    with app.app_context():
        photo_files = [photo_path(sha) for sha in db.session.scalars(sa.text("SELECT sha256 FROM photo"))]
        revenue = db.session.scalar(sa.select(sa.func.sum(Purchase.total_cents)))
    assert all(path.exists() for path in photo_files)
    client = signed_in(app, "owner")
    refused = client.post(f"/clients/{book['eloise']}/privacy/erase", data={"confirm": "yes"})
    assert refused.status_code == 422 and "Type" in refused.text
    answer = client.post(f"/clients/{book['eloise']}/privacy/erase", data={"confirm": "erase"})
    assert answer.status_code == 303
    assert client.get(f"/clients/{book['eloise']}").status_code == 404
    with app.app_context():
        assert db.session.get(Client, book["eloise"]) is None
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Note)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Reminder)) == 0
        # The shop's figures are unchanged; the purchase no longer says whose it was.
        assert db.session.scalar(sa.select(sa.func.sum(Purchase.total_cents))) == revenue
        kept = db.session.scalar(sa.select(Purchase).where(Purchase.total_cents == 189_000))
        holder = db.session.get(Client, kept.client_id)
        assert kept.external_id is None and holder.full_name == "Erased clients" and holder.archived_at
        assert holder.email is None and holder.phone is None
        # Never messaged again, without keeping the addresses themselves.
        assert is_suppressed("email", "eloise@example.com") and is_suppressed("sms", "+33612345678")
        assert "eloise" not in " ".join(db.session.scalars(sa.select(Suppression.address_hash)))
        everything = " ".join(str(row) for table in db.metadata.sorted_tables
                              for row in db.session.execute(sa.select(table)))
        assert "Éloïse" not in everything and "eloise@example.com" not in everything and "Julien" not in everything
        log = db.session.scalars(sa.select(PrivacyRequest)).one()
        assert (log.kind, log.client_id, log.user_id) == ("erase", book["eloise"], book["owner"])
        assert "1 purchase(s) kept" in log.summary
        assert db.session.get(Client, book["other"]) is not None
    assert not any(path.exists() for path in photo_files)


def test_a_second_erase_reuses_the_anonymous_card(app, book):
    client = signed_in(app, "owner")
    for key in ("eloise", "other"):
        assert client.post(f"/clients/{book[key]}/privacy/erase", data={"confirm": "erase"}).status_code == 303
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(sa.distinct(Purchase.client_id)))) == 1


@pytest.mark.parametrize("method, path", [
    ("get", "/clients/{id}/privacy"), ("post", "/clients/{id}/privacy/export"),
    ("post", "/clients/{id}/privacy/erase"),
])
def test_associates_may_not_export_or_erase(app, book, method, path):
    client = signed_in(app, "associate")
    answer = getattr(client, method)(path.format(id=book["eloise"]), data={"confirm": "erase"})
    assert answer.status_code == 403
    with app.app_context():
        assert db.session.get(Client, book["eloise"]) is not None
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PrivacyRequest)) == 0


def test_the_page_explains_both_and_the_card_links_to_it(app, book):
    client = signed_in(app, "manager")
    page = client.get(f"/clients/{book['eloise']}/privacy")
    assert page.status_code == 200 and "Download their data" in page.text and "cannot be undone" in page.text
    assert f"/clients/{book['eloise']}/privacy" in client.get(f"/clients/{book['eloise']}").text
