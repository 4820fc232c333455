"""Exporting the book: columns, formats, formula neutralisation, archived/merged rows, round trip."""
import csv
import io
from datetime import date, datetime

import sqlalchemy as sa

from clientbook.extensions import db
from clientbook.imports.exporting import COLUMNS, neutralise
from clientbook.models import (
    Client, ClientExternalId, ClientTag, ImportantDate, Purchase, User,
)


def make_book(shop):
    associate = db.session.get(User, shop["associate"])
    anna = Client(first_name="Anna", last_name="=cmd|' /C calc'!A0", email="anna@example.com",
                  phone="+33612345678", phone_valid=True, email_opt_in=True, assigned_to=associate,
                  address="1 rue X,\nParis")
    anna.tags = [ClientTag(tag="VIP"), ClientTag(tag="bridal")]
    anna.external_ids = [ClientExternalId(source="shopify", value="123"), ClientExternalId(source="square", value="AB")]
    anna.important_dates = [ImportantDate(kind="birthday", month=5, day=17, year=None),
                            ImportantDate(kind="anniversary", month=6, day=1, year=2010),
                            ImportantDate(kind="birthday", month=1, day=2, year=1980, for_whom="husband Paul")]
    bob = Client(first_name="@Bob", last_name="+Plus", email="bob@example.com", sms_opt_in=True)
    archived = Client(first_name="Old", last_name="Archived", archived_at=datetime(2024, 1, 1))
    db.session.add_all([anna, bob, archived])
    db.session.flush()
    merged = Client(first_name="Anna", last_name="Dup", merged_into_id=anna.id)
    db.session.add(merged)
    db.session.add_all([Purchase(client_id=anna.id, purchased_on=date(2024, 3, 1), total_cents=125050),
                        Purchase(client_id=anna.id, purchased_on=date(2024, 7, 9), total_cents=1000)])
    db.session.commit()
    return anna.id


def read(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_export_columns_and_formats(app, shop, runner, tmp_path):
    with app.app_context():
        anna_id = make_book(shop)
    target = tmp_path / "clients.csv"
    result = runner.invoke(args=["export-clients", str(target)])
    assert result.exit_code == 0 and "Exported 2 clients" in result.output
    rows = read(target.read_text(encoding="utf-8"))
    assert list(rows[0]) == list(COLUMNS)
    for required in ("id", "first_name", "last_name", "email", "phone", "birthday", "anniversary", "tags",
                     "email_opt_in", "sms_opt_in", "assigned_to", "external_ids", "total_spent", "last_purchase_at"):
        assert required in rows[0]
    anna, bob = rows
    assert anna["id"] == str(anna_id)
    assert anna["last_name"] == "'=cmd|' /C calc'!A0"
    assert anna["phone"] == "'+33612345678"
    assert anna["birthday"] == "--05-17" and anna["anniversary"] == "2010-06-01"
    assert anna["tags"] == "VIP;bridal"
    assert anna["email_opt_in"] == "true" and anna["sms_opt_in"] == "false"
    assert anna["assigned_to"] == "ada@maison-perle.com"
    assert anna["external_ids"] == "shopify:123;square:AB"
    assert anna["total_spent"] == "1260.50" and anna["last_purchase_at"] == "2024-07-09"
    assert anna["address"] == "1 rue X,\nParis"
    assert bob["first_name"] == "'@Bob" and bob["last_name"] == "'+Plus" and bob["total_spent"] == "0.00"
    assert bob["birthday"] == "" and bob["last_purchase_at"] == ""


def test_export_to_stdout_and_archived_on_request(app, shop, runner):
    with app.app_context():
        make_book(shop)
    plain = runner.invoke(args=["export-clients", "-"])
    assert [r["first_name"] for r in read(plain.output)] == ["Anna", "'@Bob"]
    everything = runner.invoke(args=["export-clients", "-", "--include-archived"])
    rows = read(everything.output)
    assert [r["first_name"] for r in rows] == ["Anna", "'@Bob", "Old"] and rows[2]["archived"] == "true"


def test_neutralise():
    for dangerous in ("=1+1", "+33", "-2", "@SUM(A1)", "\tx", "\rx"):
        assert neutralise(dangerous) == "'" + dangerous
    assert neutralise("--05-17") == "--05-17" and neutralise("Anna") == "Anna"


def test_export_page_and_download(client, auth, app, shop):
    with app.app_context():
        make_book(shop)
    auth.login("manager")
    page = client.get("/export")
    assert page.status_code == 200 and b"Download CSV" in page.data and b"plus 1 archived" in page.data
    download = client.get("/export/clients.csv")
    assert download.status_code == 200
    assert download.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in download.headers["Content-Disposition"]
    text = download.data.decode("utf-8-sig")
    assert len(read(text)) == 2
    assert len(read(client.get("/export/clients.csv?include_archived=y").data.decode("utf-8-sig"))) == 3


def test_round_trip_merges_instead_of_doubling(app, shop, runner, tmp_path):
    with app.app_context():
        make_book(shop)
        db.session.add(Client(first_name="Only", last_name="Name"))  # no email, phone or POS id
        db.session.commit()
    target = tmp_path / "book.csv"
    runner.invoke(args=["export-clients", str(target)])
    result = runner.invoke(args=["import-clients", str(target)])
    assert result.exit_code == 0, result.output
    assert "Format: Clientbook export" in result.output
    assert "Created: 0" in result.output and "Merged: 3" in result.output
    with app.app_context():
        live = db.session.scalar(sa.select(sa.func.count()).select_from(Client).where(Client.merged_into_id.is_(None)))
        assert live == 4  # Anna, Bob, Only Name, archived Old
        anna = db.session.scalar(sa.select(Client).where(Client.email == "anna@example.com"))
        assert anna.phone == "+33612345678" and anna.last_name == "=cmd|' /C calc'!A0"
        assert len(anna.important_dates) == 3 and len(anna.external_ids) == 2
