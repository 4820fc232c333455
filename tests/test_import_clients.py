"""Client imports end to end through the CLI and the domain functions: matching, merging, consent, dates."""
from pathlib import Path

import sqlalchemy as sa

from clientbook.extensions import db
from clientbook.imports.client_rows import read_clients
from clientbook.imports.formats import SHOPIFY
from clientbook.imports.reading import parse
from clientbook.imports.writing import plan_clients
from clientbook.models import (
    Client, ClientExternalId, ClientSearchToken, ClientTag, ImportantDate, Note,
)

FIXTURES = Path(__file__).parent / "fixtures"


def add_client(**values) -> int:
    client = Client(**values)
    db.session.add(client)
    db.session.commit()
    return client.id


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def client_by_email(email: str) -> Client:
    return db.session.scalar(sa.select(Client).where(Client.email == email))


def test_shopify_dry_run_saves_nothing(app, shop, runner):
    result = runner.invoke(args=["import-clients", str(FIXTURES / "shopify_customers.csv"), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Format: Shopify" in result.output
    assert "Would create: 6" in result.output
    assert "Would merge: 2" in result.output
    assert "Would skip: 2" in result.output
    assert "row 4: skipped: Empty row." in result.output
    # A bad email costs the email, not the client: the row is kept and the problem names who it is.
    assert "row 7 (Ana Souza, ana@@example): warning: “ana@@example” is not a valid email address; left out." in result.output
    assert "row 8 (Zoë Martin): warning: Phone “12” could not be read; kept as typed." in result.output
    assert "row 10: skipped: No name, email or phone" in result.output
    with app.app_context():
        assert count(Client) == 0


def test_shopify_import_merges_duplicates_and_existing_clients(app, shop, runner):
    with app.app_context():
        existing_id = add_client(first_name="Marta", last_name="Existing", email="existing@example.com",
                                 sms_opt_in=True, sms_opt_in_source="in shop")
    result = runner.invoke(args=["import-clients", str(FIXTURES / "shopify_customers.csv")])
    assert result.exit_code == 0, result.output
    assert "Created: 5" in result.output
    assert "Merged: 3" in result.output
    assert "Skipped: 2" in result.output
    with app.app_context():
        assert count(Client) == 6
        ana = db.session.scalar(sa.select(Client).where(Client.first_name == "Ana"))
        assert ana.last_name == "Souza" and ana.email is None
        eloise = client_by_email("eloise.dubois@example.com")
        assert (eloise.first_name, eloise.last_name) == ("Éloïse", "Dubois")
        assert eloise.phone == "+33612345678" and eloise.phone_valid
        assert sorted(eloise.tag_names) == ["VIP", "bridal", "watch collector"]
        assert eloise.email_opt_in and eloise.email_opt_in_source == "import: Shopify"
        assert eloise.email_opt_in_at is not None
        assert eloise.sms_opt_in and eloise.sms_opt_in_source == "import: Shopify"
        assert eloise.address == "12 rue de la Paix, Apt 3, 2nd floor, Paris, 75002, FR"
        assert {(e.source, e.value) for e in eloise.external_ids} == {
            ("shopify", "7011234500001"), ("shopify", "7011234500004")}
        note = db.session.scalar(sa.select(Note).where(Note.client_id == eloise.id))
        assert note.body == "Loves pearls.\nRing size 52"

        # Same phone after E.164 normalisation: one client.
        chloe = client_by_email("chloe.lefevre@example.com")
        assert chloe.phone == "+33698765432"
        assert sorted(chloe.tag_names) == ["newsletter", "repair client"]
        assert not chloe.email_opt_in and chloe.sms_opt_in  # the duplicate row accepted SMS

        zoe = db.session.scalar(sa.select(Client).where(Client.first_name == "Zoë"))
        assert zoe.phone == "12" and not zoe.phone_valid  # kept as typed

        marta = db.session.get(Client, existing_id)
        assert marta.email_opt_in and marta.sms_opt_in and marta.sms_opt_in_source == "in shop"  # "no" erases nothing
        assert marta.tag_names == ["VIP"]

        # Search tokens were refreshed for the new and changed clients.
        assert db.session.scalar(sa.select(ClientSearchToken.client_id).where(ClientSearchToken.token == "eloise")) == eloise.id
        assert db.session.scalar(sa.select(ClientSearchToken.client_id).where(ClientSearchToken.token == "#vip")) is not None


def test_importing_the_same_file_twice_doubles_nothing(app, shop, runner):
    path = str(FIXTURES / "shopify_customers.csv")
    runner.invoke(args=["import-clients", path])
    with app.app_context():
        before = (count(Client), count(ClientTag), count(ClientExternalId), count(Note))
    result = runner.invoke(args=["import-clients", path])
    assert "Created: 0" in result.output and "Merged: 8" in result.output
    with app.app_context():
        assert (count(Client), count(ClientTag), count(ClientExternalId), count(Note)) == before


def test_square_birthdays_consent_and_groups(app, shop, runner):
    with app.app_context():
        ines_id = add_client(first_name="Inès", last_name="García", email="ines.garcia@example.org",
                             email_opt_in=True, email_opt_in_source="in shop")
    result = runner.invoke(args=["import-clients", str(FIXTURES / "square_customers.csv")])
    assert result.exit_code == 0, result.output
    assert "Format: Square" in result.output
    assert "row 6 (Nora Blanc, nora@example.org): warning: Birthday: “31/02/1990” is not a real date. Left out." in result.output
    with app.app_context():
        soren = client_by_email("soren@example.org")
        assert sorted(soren.tag_names) == ["VIP", "Watch collectors", "engagement"]  # the duplicate's group added
        assert {(e.source, e.value) for e in soren.external_ids} == {("square", "SQ7H2K9A"), ("pos", "R-100")}
        assert soren.email_opt_in and soren.email_opt_in_source == "import: Square"
        birthday = soren.important_dates[0]
        assert (birthday.kind, birthday.month, birthday.day, birthday.year) == ("birthday", 5, 17, None)
        dates = {c.email: [(d.month, d.day, d.year) for d in c.important_dates]
                 for c in db.session.scalars(sa.select(Client))}
        assert dates["renee@example.org"] == [(5, 17, None)]
        assert dates["hugo.petit@example.org"] == [(3, 2, 1985)]
        assert dates["nora@example.org"] == []
        ines = db.session.get(Client, ines_id)
        assert not ines.email_opt_in and ines.email_opt_in_source == "import: Square"  # unsubscribed withdraws
        assert [d.month for d in ines.important_dates] == [12]
        assert count(ImportantDate) == 4


def test_latin1_generic_file_through_the_cli(app, shop, runner):
    result = runner.invoke(args=["import-clients", str(FIXTURES / "latin1_customers.csv")])
    assert result.exit_code == 0, result.output
    assert "Created: 3" in result.output and "Skipped: 1" in result.output
    with app.app_context():
        helene = client_by_email("helene.muller@example.net")
        assert (helene.first_name, helene.last_name) == ("Hélène", "Müller")
        assert [(d.month, d.day, d.year) for d in helene.important_dates] == [(5, 17, 1980)]
        anais = db.session.scalar(sa.select(Client).where(Client.last_name == "Château"))
        assert [(d.month, d.day, d.year) for d in anais.important_dates] == [(9, 2, None)]


def test_cli_refuses_unreadable_and_unrecognised_files(app, shop, runner, tmp_path):
    missing = runner.invoke(args=["import-clients", str(tmp_path / "nope.csv")])
    assert missing.exit_code != 0 and "Can't read" in missing.output

    binary = tmp_path / "clients.csv"
    binary.write_bytes(b"PK\x03\x04" + bytes(200))
    result = runner.invoke(args=["import-clients", str(binary)])
    assert result.exit_code != 0 and "Excel workbook" in result.output

    unknown = tmp_path / "inventory.csv"
    unknown.write_text("Sku,Stock\nA1,3\n")
    result = runner.invoke(args=["import-clients", str(unknown)])
    assert result.exit_code != 0 and "not recognised" in result.output and "Sku, Stock" in result.output


def test_plan_groups_rows_without_writing(app, shop):
    with app.app_context():
        table = parse((FIXTURES / "shopify_customers.csv").read_bytes())
        plan = plan_clients(read_clients(table, SHOPIFY, "FR"))
        assert (plan.to_create, plan.merged, plan.skipped) == (6, 2, 2)
        assert [r.row for r in plan.groups[0].rows] == [2, 6]
        assert count(Client) == 0


# ---- the CLI reads files exactly as the web upload does ---------------------------------------

import io  # noqa: E402

import pytest  # noqa: E402


def web_upload(client, data: bytes):
    return client.post("/import", data={"kind": "clients", "file": (io.BytesIO(data), "clients.csv")},
                       content_type="multipart/form-data")


@pytest.mark.parametrize("data, message", [
    (b"First Name,Email\n", "header row but no rows under it"),
    (b"First Name,Email,email\nA,a@example.com,b@example.com\n", "Two columns are called"),
    (b"First Name" + b",x" * 300 + b"\nA\n", "an import reads at most 200"),
    (b"First Name,Note\nA,\"" + b"x" * 200_000 + b"\"\n", "longer than 100,000 characters"),
])
def test_both_paths_refuse_the_same_files_with_the_same_words(client, auth, runner, tmp_path, data, message):
    path = tmp_path / "clients.csv"
    path.write_bytes(data)
    result = runner.invoke(args=["import-clients", str(path)])
    assert result.exit_code != 0 and message in result.output
    auth.login("manager")
    response = web_upload(client, data)
    assert response.status_code == 422 and message in response.get_data(as_text=True)


def test_a_pipe_delimited_file_is_read_by_columns_on_both_paths(app, client, auth, runner, tmp_path):
    data = "First Name|Last Name|Email\nLéa|Roux|lea@example.com\nMax|Blanc|max@example.com\n".encode()
    path = tmp_path / "clients.csv"
    path.write_bytes(data)
    result = runner.invoke(args=["import-clients", str(path)])
    assert result.exit_code == 0 and "Created: 2" in result.output, result.output
    with app.app_context():
        lea = client_by_email("lea@example.com")
        assert (lea.first_name, lea.last_name) == ("Léa", "Roux")
    auth.login("manager")
    response = web_upload(client, data)
    assert response.status_code == 303 and "/columns" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "lea@example.com" in page and "Léa|Roux" not in page


def test_a_line_break_inside_a_name_is_a_space(app, shop, runner, tmp_path):
    path = tmp_path / "clients.csv"
    path.write_bytes(b'First Name,Last Name,Email,Note\n"Anne\nMarie",Roy,anne@example.com,"Line one\nLine two"\n')
    assert runner.invoke(args=["import-clients", str(path)]).exit_code == 0
    with app.app_context():
        anne = client_by_email("anne@example.com")
        assert anne.first_name == "Anne Marie"
        assert db.session.scalar(sa.select(Note.body)) == "Line one\nLine two"  # notes keep their lines


# ---- history before the import, credit, assignment ------------------------------------------------

def test_shopify_totals_are_kept_as_history_and_a_second_import_changes_nothing(app, shop, runner):
    path = str(FIXTURES / "shopify_customers.csv")
    runner.invoke(args=["import-clients", path])
    with app.app_context():
        eloise = client_by_email("eloise.dubois@example.com")
        # Two rows of the file are one person: their totals add up.
        assert (eloise.prior_spent_cents, eloise.prior_orders) == (125000, 3)
        assert eloise.prior_as_of is not None
        chloe = client_by_email("chloe.lefevre@example.com")
        assert (chloe.prior_spent_cents, chloe.prior_orders) == (8990, 1)
        note = db.session.scalar(sa.select(Note).where(Note.client_id == eloise.id))
        assert note.author_id is None and note.source == "Import"
        before = db.session.execute(sa.select(Client.id, Client.prior_spent_cents, Client.prior_orders)
                                    .order_by(Client.id)).all()
    runner.invoke(args=["import-clients", path])
    with app.app_context():
        after = db.session.execute(sa.select(Client.id, Client.prior_spent_cents, Client.prior_orders)
                                   .order_by(Client.id)).all()
        assert after == before


def test_the_reminder_step_after_a_big_import_uses_bounded_statements(app, shop, runner, tmp_path):
    """Each statement carries at most a few hundred ids, however many clients arrive."""
    from sqlalchemy import event

    path = tmp_path / "big.csv"
    path.write_text("First Name,Email,Birthday\n" + "".join(
        f"P{n},p{n}@example.com,1990-{n % 12 + 1:02d}-{n % 28 + 1:02d}\n" for n in range(3000)))
    largest = []
    with app.app_context():
        engine = db.engine

        def count_parameters(conn, cursor, statement, parameters, context, executemany):
            if not executemany and parameters:
                largest.append(len(parameters))

        event.listen(engine, "before_cursor_execute", count_parameters)
        try:
            result = runner.invoke(args=["import-clients", str(path)])
        finally:
            event.remove(engine, "before_cursor_execute", count_parameters)
    assert result.exit_code == 0 and "Created: 3000" in result.output, result.output
    assert max(largest) <= 600
