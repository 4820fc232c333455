"""What a client spent before the import counts: card, filters, lapsed rules, export, merges."""
import csv
import io
from datetime import date

import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from clientbook.clients.filters import ClientFilter, filtered_clients_query
from clientbook.clients.merge import merge_clients
from clientbook.extensions import db
from clientbook.imports.exporting import export_rows
from clientbook.models import Client, Shop, User
from clientbook.money import format_money
from clientbook.reminders.generation import generate
from tests.support.reminders import add_purchase, only_rules, reminders


def imported(first: str, spent: int, orders: int, as_of: date = date(2026, 3, 12), **fields) -> Client:
    client = Client(first_name=first, last_name="Imported", prior_spent_cents=spent, prior_orders=orders,
                    prior_as_of=as_of, **fields)
    db.session.add(client)
    db.session.commit()
    return client


def test_the_card_adds_the_history_and_says_where_it_comes_from(client, auth, app, shop):
    with app.app_context():
        ines = imported("Inès", 315000, 4)
        add_purchase(ines, date(2026, 4, 1), 10000)
        db.session.commit()
        ines_id = ines.id
        lifetime, before = format_money(325000, "EUR"), format_money(315000, "EUR")
    auth.login("manager")
    html = client.get(f"/clients/{ines_id}").get_data(as_text=True)
    summary = html[html.index('id="summary"'):html.index('id="summary"') + 1200]
    assert lifetime in summary  # 3 150.00 before + 100.00 here
    assert f"spent {before} over 4 orders before 12" in summary
    assert "<strong>5</strong>" in summary  # visits: 4 before + 1 here


def test_filters_count_the_history(app, shop):
    with app.app_context():
        imported("Big", 500000, 3)
        imported("Small", 1000, 1)
        owner = db.session.get(User, shop["owner"])
        the_shop = db.session.query(Shop).one()

        def names(args):
            f = ClientFilter.from_args(MultiDict(args), owner, the_shop)
            return {c.first_name for c in db.session.scalars(filtered_clients_query(f, owner, the_shop))}

        assert names({"min_spend": "1000"}) == {"Big"}
        assert names({"last_purchase_after": "2026-03-01"}) == {"Big", "Small"}
        assert names({"last_purchase_before": "2026-04-01"}) == {"Big", "Small"}


def test_lapsed_rules_see_clients_who_only_have_history(app, shop):
    with app.app_context():
        only_rules(("Lapsed", "lapsed", None, 180))
        marc = imported("Marc", 20000, 2, as_of=date(2025, 9, 1))
        imported("Nobody", 0, 0, as_of=date(2025, 9, 1))  # in the file, never bought: not lapsed
        assert generate(date(2026, 2, 28), date(2026, 2, 28)) == 1
        reminder, = reminders()
        assert reminder.client_id == marc.id and reminder.occurrence == "lapsed@2025-09-01"


def test_export_total_spent_includes_the_history(app, shop):
    with app.app_context():
        zoe = imported("Zoé", 315000, 4)
        add_purchase(zoe, date(2026, 4, 1), 5050)
        db.session.commit()
        rows = list(export_rows())
        header, row = rows[0], rows[1]
        assert row[header.index("total_spent")] == "3200.50"


def test_merged_duplicates_add_their_totals(app, shop):
    with app.app_context():
        a = imported("Ana", 10000, 1, as_of=date(2026, 1, 1))
        b = imported("Ana", 25000, 2, as_of=date(2026, 3, 1))
        kept = merge_clients(a.id, [b.id], None)
        db.session.commit()
        assert (kept.prior_spent_cents, kept.prior_orders, kept.prior_as_of) == (35000, 3, date(2026, 3, 1))
        assert db.session.get(Client, b.id).prior_spent_cents == 0  # counted once


def test_cli_export_after_a_shopify_import(app, shop, runner, tmp_path):
    from pathlib import Path
    runner.invoke(args=["import-clients", str(Path(__file__).parent / "fixtures" / "shopify_customers.csv")])
    out = tmp_path / "out.csv"
    assert runner.invoke(args=["export-clients", str(out)]).exit_code == 0
    rows = {r["email"]: r for r in csv.DictReader(io.StringIO(out.read_text(encoding="utf-8").lstrip("\ufeff")))}
    assert rows["eloise.dubois@example.com"]["total_spent"] == "1250.00"
