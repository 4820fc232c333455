"""Generation through the database: set-based SQL, idempotent, time-zone aware, catching up."""
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from clientbook import signals
from clientbook.extensions import db
from clientbook.models import Reminder, ReminderRule, ReminderRunState, User
from clientbook.reminders.defaults import run_state
from clientbook.reminders.generation import (
    candidate_select, generate, preview_count, run_generation, run_scheduled_generation,
)
from tests.support.reminders import add_client, add_date, add_purchase, only_rules, reminders, set_timezone


@pytest.fixture
def ctx(app, shop):
    with app.app_context():
        yield shop


def test_default_rules_are_seeded_once(ctx):
    run_generation(date(2026, 3, 1))
    rules = db.session.scalars(sa.select(ReminderRule).order_by(ReminderRule.id)).all()
    summary = {(r.trigger, r.date_kind, r.days, r.enabled) for r in rules}
    assert {("date", "birthday", 14, True), ("date", "birthday", 0, True), ("date", "anniversary", 14, True),
            ("date", "anniversary", 0, True), ("purchase", None, 2, True), ("lapsed", None, 180, True)} <= summary
    assert all(r.message_template is not None for r in rules)
    db.session.execute(sa.update(ReminderRule).values(enabled=False))
    db.session.commit()
    run_generation(date(2026, 3, 2))  # switched off stays off, nothing re-seeded
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReminderRule)) == len(rules)


def test_setup_seeds_default_rules_through_the_signal(client, app):
    client.post("/setup", data={
        "shop_name": "Maison Perle", "country": "FR", "timezone": "Europe/Paris", "currency": "EUR",
        "owner_name": "Olivia Owner", "email": "olivia@maison-perle.com", "password": "correct horse battery",
    })
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ReminderRule)) >= 6


@pytest.mark.parametrize("month, day, lead, today, due, occurrence", [
    (12, 5, 14, date(2026, 11, 21), date(2026, 11, 21), "2026-12-05"),
    (1, 5, 14, date(2026, 12, 22), date(2026, 12, 22), "2027-01-05"),  # across the year end
    (3, 2, 14, date(2026, 2, 16), date(2026, 2, 16), "2026-03-02"),  # across a month end
    (2, 29, 0, date(2027, 2, 28), date(2027, 2, 28), "2027-02-28"),  # 29 Feb in a common year
    (2, 29, 0, date(2028, 2, 29), date(2028, 2, 29), "2028-02-29"),  # ...and in a leap year
    (2, 29, 14, date(2027, 2, 14), date(2027, 2, 14), "2027-02-28"),
])
def test_date_rule_due_day_and_occurrence(ctx, month, day, lead, today, due, occurrence):
    rule, = only_rules(("Birthday", "date", "birthday", lead))
    marc = add_client(owner_id=ctx["associate"])
    important = add_date(marc, "birthday", month, day)
    assert generate(today, today) == 1
    reminder, = reminders()
    assert (reminder.due_date, reminder.occurrence) == (due, f"d{important.id}@{occurrence}")
    assert reminder.owner_id == ctx["associate"] and reminder.rule_id == rule.id and reminder.kind == "birthday"


def test_year_less_and_dated_birthdays_and_date_kinds(ctx):
    only_rules(("Birthday", "date", "birthday", 0), ("Anniversary", "date", "anniversary", 0))
    marc = add_client()
    add_date(marc, "birthday", 6, 1)  # no year: normal
    add_date(marc, "birthday", 6, 1, year=1980, for_whom="wife Anna")
    add_date(marc, "anniversary", 6, 1, year=2010)
    add_date(marc, "custom", 6, 1, label="Shop anniversary")  # no rule for custom dates
    assert generate(date(2026, 6, 1), date(2026, 6, 1)) == 3
    reasons = sorted(r.reason for r in reminders())
    assert reasons == ["Marc's anniversary today", "Marc's birthday today", "wife Anna's birthday today"]


def test_lead_times_each_create_their_own_reminder(ctx):
    only_rules(("Soon", "date", "birthday", 14), ("On the day", "date", "birthday", 0))
    marc = add_client()
    add_date(marc, "birthday", 12, 5)
    assert generate(date(2026, 11, 21), date(2026, 12, 5)) == 2
    assert [r.due_date for r in reminders()] == [date(2026, 11, 21), date(2026, 12, 5)]


@pytest.mark.parametrize("categories, min_cents, items, total, expected", [
    ("", None, [("Pearl earrings", "Earrings")], 5_000, 1),
    ("Rings", None, [("Pearl earrings", "Earrings")], 5_000, 0),
    ("Rings", None, [("Solitaire", "Rings"), ("Box", "Packaging")], 5_000, 1),
    ("rings, Necklaces", None, [("Solitaire", "RINGS")], 5_000, 1),
    ("", 20_000, [("Solitaire", "Rings")], 19_999, 0),
    ("Rings", 20_000, [("Solitaire", "Rings")], 20_000, 1),
    # categories compare folded (case and accents), on SQLite as on PostgreSQL
    ("Éclat", None, [("Pendant", "éclat")], 5_000, 1),
    ("Éclat", None, [("Pendant", "ÉCLAT")], 5_000, 1),
    ("eclat", None, [("Pendant", "Éclat")], 5_000, 1),
    ("Éclat", None, [("Pendant", "Éclats")], 5_000, 0),
])
def test_purchase_cadence_with_category_and_amount_filters(ctx, categories, min_cents, items, total, expected):
    only_rules(("Ring cleaning", "purchase", None, 180, categories, min_cents))
    marc = add_client()
    add_purchase(marc, date(2026, 1, 1), total, items)
    assert generate(date(2026, 6, 30), date(2026, 6, 30)) == expected
    if expected:
        reminder, = reminders()
        assert reminder.kind == "purchase" and reminder.occurrence.startswith("p")


def test_purchase_cadence_steps(ctx):
    only_rules(("Thank-you", "purchase", None, 2), ("Check-in", "purchase", None, 30))
    marc = add_client()
    add_purchase(marc, date(2026, 12, 30))
    generate(date(2026, 12, 30), date(2027, 2, 15))
    assert [r.due_date for r in reminders()] == [date(2027, 1, 1), date(2027, 1, 29)]


def test_lapsed_client(ctx):
    only_rules(("Lapsed", "lapsed", None, 180))
    marc = add_client("Marc")
    add_purchase(marc, date(2025, 1, 10))
    add_purchase(marc, date(2025, 9, 1))  # the last purchase counts
    anna = add_client("Anna")
    add_purchase(anna, date(2025, 9, 1))
    add_purchase(anna, date(2026, 1, 5))  # bought again: not lapsed
    add_client("Never")  # never bought: not a lapsed client
    assert generate(date(2026, 2, 28), date(2026, 2, 28)) == 1
    reminder, = reminders()
    assert reminder.client_id == marc.id and reminder.occurrence == "lapsed@2025-09-01"
    assert reminder.due_date == date(2026, 2, 28)


def test_archived_and_merged_clients_get_nothing(ctx):
    only_rules(("Birthday", "date", "birthday", 0))
    add_date(add_client("Gone", archived_at=datetime(2026, 1, 1)), "birthday", 5, 5)
    kept = add_client("Kept")
    add_date(add_client("Merged", merged_into_id=kept.id), "birthday", 5, 5)
    assert generate(date(2026, 5, 5), date(2026, 5, 5)) == 0


def test_unassigned_or_inactive_associate_goes_to_the_shop_queue(ctx):
    only_rules(("Birthday", "date", "birthday", 0))
    add_date(add_client("Nobody's"), "birthday", 5, 5)
    add_date(add_client("Bea's", owner_id=ctx["associate2"]), "birthday", 5, 5)
    db.session.get(User, ctx["associate2"]).active = False
    generate(date(2026, 5, 5), date(2026, 5, 5))
    assert [r.owner_id for r in reminders()] == [None, None]


def test_runs_are_idempotent(ctx):
    marc = add_client(owner_id=ctx["associate"])
    add_date(marc, "birthday", 3, 5)  # on the day falls in the window, 14 days before doesn't
    add_purchase(marc, date(2026, 3, 1))
    db.session.commit()
    first = run_generation(date(2026, 3, 1))
    assert first >= 2
    assert run_generation(date(2026, 3, 1)) == 0
    assert run_generation(date(2026, 3, 2)) == 0  # overlapping windows add nothing twice
    keys = [(r.rule_id, r.client_id, r.occurrence) for r in reminders()]
    assert len(keys) == len(set(keys)) == first


def test_unique_constraint_guards_the_natural_key(ctx):
    only_rules(("Birthday", "date", "birthday", 0))
    add_date(add_client(), "birthday", 5, 5)
    generate(date(2026, 5, 5), date(2026, 5, 5))
    duplicate = reminders()[0]
    db.session.add(Reminder(rule_id=duplicate.rule_id, client_id=duplicate.client_id,
                            occurrence=duplicate.occurrence, kind="birthday", due_date=duplicate.due_date))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_catch_up_after_downtime(ctx):
    only_rules(("Birthday", "date", "birthday", 0))
    for day in (1, 3, 5, 6):
        add_date(add_client(f"Client{day}"), "birthday", 3, day)
    run_state().last_generated_day = date(2026, 3, 2)
    db.session.commit()
    # The server was off on 3-5 March; on 6 March (09:00 in Paris) the missed days are generated too.
    created = run_scheduled_generation(datetime(2026, 3, 6, 8, 0))
    assert created == 3
    assert [r.due_date for r in reminders()] == [date(2026, 3, 3), date(2026, 3, 5), date(2026, 3, 6)]
    assert db.session.scalar(sa.select(ReminderRunState)).last_generated_day == date(2026, 3, 6)
    assert run_scheduled_generation(datetime(2026, 3, 6, 9, 0)) is None  # already done today


def test_catch_up_is_bounded(ctx):
    only_rules(("Birthday", "date", "birthday", 0))
    add_date(add_client("Long ago"), "birthday", 1, 10)
    add_date(add_client("Recent"), "birthday", 2, 25)
    run_state().last_generated_day = date(2025, 12, 1)
    db.session.commit()
    run_scheduled_generation(datetime(2026, 3, 6, 12, 0))
    assert [r.client.first_name for r in reminders()] == ["Recent"]


@pytest.mark.parametrize("tz, now_utc, local_day", [
    ("Pacific/Kiritimati", datetime(2026, 12, 31, 10, 30), date(2027, 1, 1)),  # UTC+14: already new year
    ("Pacific/Pago_Pago", datetime(2027, 1, 1, 10, 30), date(2026, 12, 31)),  # UTC-11: still old year
    ("Europe/Paris", datetime(2026, 3, 28, 23, 30), date(2026, 3, 29)),  # the night of the DST change
])
def test_generation_follows_the_shop_day(ctx, tz, now_utc, local_day):
    set_timezone(tz)
    only_rules(("Birthday", "date", "birthday", 0))
    add_date(add_client("Today"), "birthday", local_day.month, local_day.day)
    yesterday = local_day - timedelta(days=1)
    add_date(add_client("Yesterday"), "birthday", yesterday.month, yesterday.day)
    db.session.commit()
    assert run_scheduled_generation(now_utc) == 1
    reminder, = reminders()
    assert reminder.client.first_name == "Today" and reminder.due_date == local_day
    assert db.session.scalar(sa.select(ReminderRunState)).last_generated_day == local_day


def test_changing_assignment_moves_open_reminders(ctx, app):
    only_rules(("Birthday", "date", "birthday", 0))
    marc = add_client(owner_id=ctx["associate"])
    add_date(marc, "birthday", 5, 5)
    generate(date(2026, 5, 5), date(2026, 5, 5))
    done = Reminder(rule_id=None, client_id=marc.id, occurrence="m1", kind="manual", due_date=date(2026, 5, 1),
                    owner_id=ctx["associate"], state="done")
    db.session.add(done)
    marc.assigned_to_id = ctx["associate2"]
    signals.client_changed.send(app, client_id=marc.id)
    db.session.commit()
    by_kind = {r.kind: r.owner_id for r in reminders()}
    assert by_kind == {"birthday": ctx["associate2"], "manual": ctx["associate"]}


def test_changing_a_date_replaces_its_open_reminder(ctx, app):
    only_rules(("Birthday", "date", "birthday", 0))
    marc = add_client()
    important = add_date(marc, "birthday", 5, 5)
    generate(date(2026, 5, 5), date(2026, 5, 12))
    assert [r.due_date for r in reminders()] == [date(2026, 5, 5)]
    important.day = 9
    db.session.commit()
    with app.test_request_context():
        # the shop's "today" is now 5 May (Paris)
        from flask import g
        g.shop_today = date(2026, 5, 5)
        from clientbook.reminders.upkeep import drop_stale_date_reminders
        from clientbook.reminders.generation import generate_for_clients
        assert drop_stale_date_reminders([marc.id]) == 1
        generate_for_clients([marc.id], date(2026, 5, 5))
    assert [r.due_date for r in reminders()] == [date(2026, 5, 9)]


def test_client_changed_signal_drops_reminders_of_a_deleted_date(ctx, app):
    only_rules(("Birthday", "date", "birthday", 0))
    marc = add_client()
    important = add_date(marc, "birthday", 5, 5)
    generate(date(2026, 5, 5), date(2026, 5, 5))
    db.session.commit()
    db.session.delete(important)
    signals.client_changed.send(app, client_id=marc.id)
    db.session.commit()
    assert reminders() == []


def test_a_purchase_ends_a_lapse(ctx, app):
    only_rules(("Lapsed", "lapsed", None, 180))
    marc = add_client()
    add_purchase(marc, date(2025, 9, 1))
    generate(date(2026, 2, 28), date(2026, 2, 28))
    purchase = add_purchase(marc, date(2026, 3, 1))
    signals.purchase_recorded.send(app, client_id=marc.id, purchase_id=purchase.id)
    db.session.commit()
    reminder, = reminders()
    assert reminder.state == "dismissed" and reminder.dismiss_reason == "Bought again"


def test_preview_counts_without_writing(ctx):
    rule, = only_rules(("Birthday", "date", "birthday", 0))
    for n in range(1, 9):
        add_date(add_client(f"C{n}"), "birthday", 5, n)
    assert preview_count(rule, date(2026, 4, 30)) == 7  # 1-7 May; 8 May is beyond the next 7 days
    assert reminders() == []
    generate(date(2026, 5, 1), date(2026, 5, 7))
    assert preview_count(rule, date(2026, 4, 30)) == 7  # what the rule calls for, created or not


def test_statements_compile_for_postgresql(ctx):
    from sqlalchemy.dialects import postgresql
    from sqlalchemy.dialects.postgresql import insert

    from clientbook.reminders.generation import CANDIDATE_COLUMNS

    for rule in only_rules(("B", "date", "birthday", 14), ("P", "purchase", None, 2, "Rings", 100),
                           ("L", "lapsed", None, 180)):
        statement = insert(Reminder.__table__).from_select(
            CANDIDATE_COLUMNS, candidate_select(rule, date(2026, 12, 28), date(2027, 1, 4))
        ).on_conflict_do_nothing(index_elements=["rule_id", "client_id", "occurrence"])
        sql = str(statement.compile(dialect=postgresql.dialect()))
        assert "ON CONFLICT (rule_id, client_id, occurrence) DO NOTHING" in sql
