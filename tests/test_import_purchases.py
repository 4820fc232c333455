"""Purchase imports: clients found by email, phone or POS id; order lines grouped; re-import skipped."""
from pathlib import Path

import sqlalchemy as sa

from clientbook.extensions import db
from clientbook.models import Client, Purchase

FIXTURES = Path(__file__).parent / "fixtures"


def test_purchases_dry_run_then_import(app, shop, runner):
    runner.invoke(args=["import-clients", str(FIXTURES / "shopify_customers.csv")])
    path = str(FIXTURES / "purchases.csv")
    dry = runner.invoke(args=["import-purchases", path, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Would create: 3 purchases (4 items) for 3 clients" in dry.output
    assert "Would skip: 3" in dry.output
    assert "row 6: skipped: No client found for “nobody@example.com”." in dry.output
    assert "row 7: skipped: Date: “not a date” is not a date" in dry.output
    assert "row 8: skipped: “lots” is not an amount." in dry.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Purchase)) == 0

    result = runner.invoke(args=["import-purchases", path])
    assert result.exit_code == 0 and "Created: 3 purchases" in result.output
    with app.app_context():
        eloise = db.session.scalar(sa.select(Client).where(Client.email == "eloise.dubois@example.com"))
        order = db.session.scalar(sa.select(Purchase).where(Purchase.client_id == eloise.id))
        assert order.external_id == "1001" and order.purchased_on.isoformat() == "2024-03-15"
        assert [(i.description, i.category, i.sku, i.quantity, i.amount_cents) for i in order.items] == [
            ("Akoya pearl strand", "Necklaces", "NEC-1", 1, 125000), ("Pearl studs", "Earrings", "EAR-2", 2, 18000)]
        assert order.total_cents == 143000
        by_phone = db.session.scalar(sa.select(Purchase).where(Purchase.external_id == "1002"))
        assert by_phone.client_id == db.session.scalar(
            sa.select(Client.id).where(Client.email == "chloe.lefevre@example.com"))
        by_pos_id = db.session.scalar(sa.select(Purchase).where(Purchase.external_id.is_(None)))
        assert by_pos_id.total_cents == 65000  # "€ 650,00"

    again = runner.invoke(args=["import-purchases", path])
    assert "Created: 1 purchases" in again.output  # only the row without an order number can't be recognised
    assert "Order 1001 is already in the book." in again.output


def test_order_lines_inherit_client_and_date_from_the_first_line(app, shop, runner, tmp_path):
    with app.app_context():
        db.session.add(Client(first_name="Ana", email="ana@example.com"))
        db.session.commit()
    path = tmp_path / "orders.csv"
    path.write_text("Order,Email,Date,Item,Amount\n#1001,ana@example.com,2024-01-05,Ring,100\n#1001,,,Box,5\n")
    result = runner.invoke(args=["import-purchases", str(path)])
    assert "Created: 1 purchases (2 items) for 1 clients" in result.output, result.output
    with app.app_context():
        assert db.session.scalar(sa.select(Purchase.total_cents)) == 10500


def test_unrecognised_purchase_file_fails_clearly(app, shop, runner, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("Item,Amount\nRing,100\n")
    result = runner.invoke(args=["import-purchases", str(path)])
    assert result.exit_code != 0 and "not recognised as a purchase list" in result.output
