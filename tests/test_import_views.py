"""The import pages through the test client: upload, columns, preview (nothing written), confirm, progress."""
import io
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from clientbook.extensions import db
from clientbook.models import Client, Purchase, PurchaseItem

FIXTURES = Path(__file__).parent / "fixtures"


def upload(client, name: str, kind: str = "clients", data: bytes | None = None, filename: str | None = None):
    payload = data if data is not None else (FIXTURES / name).read_bytes()
    return client.post("/import", data={"kind": kind, "file": (io.BytesIO(payload), filename or name)},
                       content_type="multipart/form-data")


def token_from(location: str) -> str:
    return re.search(r"/import/([A-Za-z0-9_-]+)", location).group(1)


def clients_count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Client))


@pytest.mark.parametrize("who", ["associate"])
def test_associates_cannot_import_or_export(client, auth, who):
    auth.login(who)
    assert client.get("/import").status_code == 403
    assert upload(client, "shopify_customers.csv").status_code == 403
    assert client.get("/export").status_code == 403
    assert client.get("/export/clients.csv").status_code == 403
    assert client.post("/demo").status_code == 403


def test_manager_sees_the_upload_page(client, auth):
    auth.login("manager")
    page = client.get("/import")
    assert page.status_code == 200
    assert b'enctype="multipart/form-data"' in page.data and b"Upload and preview" in page.data


def test_shopify_upload_preview_then_confirm(client, auth, app):
    auth.login("manager")
    response = upload(client, "shopify_customers.csv")
    assert response.status_code == 303
    token = token_from(response.headers["Location"])
    preview = client.get(f"/import/{token}")
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "Shopify" in html and "recognised" in html
    assert re.search(r'stat-number">6<.*new clients', html, re.S)
    assert re.search(r'stat-number">2<.*rows merged', html, re.S)
    assert re.search(r'stat-number">2<.*rows skipped', html, re.S)
    assert "“ana@@example” is not a valid email address; left out." in html
    assert "Phone “12” could not be read; kept as typed." in html
    assert "Empty row." in html
    assert clients_count(app) == 0  # nothing written before confirm
    with app.app_context():
        uploads = Path(app.instance_path) / "imports"
        assert (uploads / f"{token}.csv").exists()

    confirmed = client.post(f"/import/{token}/confirm")
    assert confirmed.status_code == 303 and confirmed.headers["Location"].endswith(f"/import/{token}/progress")
    assert clients_count(app) == 6
    assert not (uploads / f"{token}.csv").exists()  # the upload is deleted once imported
    progress = client.get(f"/import/{token}/progress")
    text = progress.get_data(as_text=True)
    assert "Import finished" in text and "every 1s" not in text
    # Confirming again imports nothing twice.
    client.post(f"/import/{token}/confirm")
    assert clients_count(app) == 6
    # The progress partial for htmx polling is a fragment.
    partial = client.get(f"/import/{token}/progress", headers={"HX-Request": "true"})
    assert b"<html" not in partial.data and b"import-progress" in partial.data


def test_htmx_confirm_redirects_with_header(client, auth):
    auth.login("owner")
    token = token_from(upload(client, "square_customers.csv").headers["Location"])
    response = client.post(f"/import/{token}/confirm", headers={"HX-Request": "true"})
    assert response.status_code == 204 and response.headers["HX-Redirect"].endswith("/progress")


def test_running_import_polls_every_second(client, auth, app):
    auth.login("manager")
    token = token_from(upload(client, "square_customers.csv").headers["Location"])
    from clientbook.imports import jobs

    with app.app_context():
        job = jobs.get_job(token)
        job.state, job.done, job.total = "running", 500, 1000
        db.session.commit()
    html = client.get(f"/import/{token}/progress").get_data(as_text=True)
    assert 'hx-trigger="every 1s"' in html and "50%" in html


def test_generic_csv_goes_through_the_column_step(client, auth, app):
    auth.login("manager")
    response = upload(client, "generic_clients.csv")
    assert "/columns" in response.headers["Location"]
    token = token_from(response.headers["Location"])
    page = client.get(f"/import/{token}/columns").get_data(as_text=True)
    assert "Which column is which?" in page and "maelle@example.com" in page  # sample values shown
    # Nothing chosen that identifies a client: the step says so.
    refused = client.post(f"/import/{token}/columns", data={"tags": "Labels"})
    assert refused.status_code == 422 and b"at least one column for a name" in refused.data
    mapping = {"first_name": "Full First", "last_name": "Family", "email": "Contact Mail", "phone": "Cell",
               "birthday": "Born", "anniversary": "Wed", "tags": "Labels", "email_opt_in": "Mail OK",
               "sms_opt_in": "Text OK", "external_id": "Client Ref", "address": "Street", "note": "Comments"}
    assert client.post(f"/import/{token}/columns", data=mapping).status_code == 303
    preview = client.get(f"/import/{token}").get_data(as_text=True)
    assert "Your columns" in preview and "not a phone" in preview
    assert clients_count(app) == 0
    client.post(f"/import/{token}/confirm")
    with app.app_context():
        maelle = db.session.scalar(sa.select(Client).where(Client.email == "maelle@example.com"))
        assert maelle.first_name == "Maëlle" and sorted(maelle.tag_names) == ["VIP", "bridal"]
        assert maelle.email_opt_in and maelle.email_opt_in_source == "import: CSV"
        assert [(d.kind, d.year) for d in maelle.important_dates] == [("birthday", 1990), ("anniversary", 2015)]
        assert [(e.source, e.value) for e in maelle.external_ids] == [("pos", "C-001")]
        kenji = db.session.scalar(sa.select(Client).where(Client.email == "kenji@example.com"))
        assert kenji.sms_opt_in and kenji.phone == "not a phone"


@pytest.mark.parametrize("data, filename, message", [
    (b"PK\x03\x04" + bytes(100), "clients.csv", b"Excel workbook"),
    (b"First Name,Email\nA,a@example.com\n", "clients.xlsx", b"spreadsheet file, not a CSV"),
    (b"First Name,Email\nA,a@example.com\n", "clients.pdf", b"Only CSV files"),
    (bytes(range(1, 32)) * 50, "clients.csv", b"unknown encoding"),
    (b"First Name,Email\n", "clients.csv", b"no rows under it"),
])
def test_bad_files_get_a_clear_message(client, auth, app, data, filename, message):
    auth.login("manager")
    response = upload(client, "", data=data, filename=filename)
    assert response.status_code == 422 and message in response.data
    assert b'aria-invalid="true"' in response.data


def test_missing_file_is_a_field_error(client, auth):
    auth.login("manager")
    response = client.post("/import", data={"kind": "clients"}, content_type="multipart/form-data")
    assert response.status_code == 422 and b"Choose a CSV file" in response.data


def test_too_large_upload_gets_the_413_page(client, auth, app):
    auth.login("manager")
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = upload(client, "", data=b"First Name\n" + b"x\n" * 2000, filename="big.csv")
    assert response.status_code == 413 and b"too large" in response.data.lower()


def test_cancel_deletes_the_upload(client, auth, app):
    auth.login("manager")
    token = token_from(upload(client, "shopify_customers.csv").headers["Location"])
    assert client.post(f"/import/{token}/cancel").status_code == 303
    assert not (Path(app.instance_path) / "imports" / f"{token}.csv").exists()
    page = client.get(f"/import/{token}", follow_redirects=True).get_data(as_text=True)
    assert "cancelled" in page and "Try again" not in page
    assert client.post(f"/import/{token}/confirm").status_code == 303
    assert clients_count(app) == 0


def test_someone_elses_upload_is_not_found(client, auth, app):
    auth.login("manager")
    token = token_from(upload(client, "shopify_customers.csv").headers["Location"])
    auth.logout()
    auth.login("owner")
    assert client.get(f"/import/{token}").status_code == 404
    assert client.post(f"/import/{token}/confirm").status_code == 404
    assert client.get("/import/..%2F..%2Fsecret_key").status_code == 404


def test_purchase_import_through_the_pages(client, auth, app, runner):
    runner.invoke(args=["import-clients", str(FIXTURES / "shopify_customers.csv")])
    auth.login("manager")
    response = upload(client, "purchases.csv", kind="purchases")
    token = token_from(response.headers["Location"])
    assert response.headers["Location"].endswith(f"/import/{token}")  # columns recognised: straight to preview
    html = client.get(f"/import/{token}").get_data(as_text=True)
    assert re.search(r'stat-number">3<.*purchases', html, re.S) and "4 items for 3 clients" in html
    assert "No client found for “nobody@example.com”." in html
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Purchase)) == 0
    client.post(f"/import/{token}/confirm")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PurchaseItem)) == 4


def test_changing_columns_of_a_known_export_keeps_its_source(client, auth, app):
    auth.login("manager")
    token = token_from(upload(client, "square_customers.csv").headers["Location"])
    page = client.get(f"/import/{token}/columns").get_data(as_text=True)
    assert "looks like a Square export" in page
    client.post(f"/import/{token}/columns", data={"first_name": "First Name", "last_name": "Last Name",
                                                   "email": "Email Address", "external_id": "Square Customer ID"})
    client.post(f"/import/{token}/confirm")
    with app.app_context():
        soren = db.session.scalar(sa.select(Client).where(Client.email == "soren@example.org"))
        assert [(e.source, e.value) for e in soren.external_ids] == [("square", "SQ7H2K9A")]
        assert soren.phone is None  # the phone column was left out on purpose


def test_purchase_file_with_unknown_columns_asks_for_them(client, auth, app):
    auth.login("manager")
    data = "Quand,Qui,Quoi,Combien\n2024-05-01,eloise@example.com,Bague,120\n".encode()
    response = upload(client, "", kind="purchases", data=data, filename="ventes.csv")
    token = token_from(response.headers["Location"])
    assert response.headers["Location"].endswith("/columns")
    page = client.get(f"/import/{token}/columns").get_data(as_text=True)
    assert "Client email" in page and "Order / receipt number" in page
    refused = client.post(f"/import/{token}/columns", data={"client_email": "Qui", "description": "Quoi"})
    assert refused.status_code == 422 and b"purchase date" in refused.data
    accepted = client.post(f"/import/{token}/columns", data={
        "client_email": "Qui", "purchased_on": "Quand", "description": "Quoi", "amount": "Combien"})
    assert accepted.status_code == 303
    html = client.get(f"/import/{token}").get_data(as_text=True)
    assert "No client found for “eloise@example.com”." in html and "Nothing to import" in html
