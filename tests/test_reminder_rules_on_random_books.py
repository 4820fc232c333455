"""Each reminder rule stated in plain Python, and the generation SQL (`candidate_select`) checked
against it on random books: birthdays on 29 February, purchases in accented categories, imported
history, archived and merged clients. Runs on SQLite and, with --postgres, on PostgreSQL."""
import random
import unicodedata
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from clientbook.extensions import db
from clientbook.models import Client
from clientbook.reminders.generation import candidate_select
from tests.support.reminders import add_client, add_date, add_purchase, only_rules

CATEGORIES = ["Éclat", "éclat", "ECLAT", "Eclat", "Bagues", "Boucles d’oreilles", "Montres", "Œuvres"]


def folded(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).casefold()


def days(start: date, end: date):
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def falls_on(month: int, day: int, occasion: date) -> bool:
    """A yearly date falls on this day; 29 February falls on 28 February in a common year."""
    if (month, day) == (occasion.month, occasion.day):
        return True
    leap = occasion.year % 4 == 0 and (occasion.year % 100 != 0 or occasion.year % 400 == 0)
    return (month, day) == (2, 29) and (occasion.month, occasion.day) == (2, 28) and not leap


# ---- the rules, plainly -----------------------------------------------------------------------------

def date_rule(book, lead: int, kind: str, start: date, end: date) -> set:
    """Remind `lead` days before each yearly date (of this kind, if one is named)."""
    return {(c["id"], f"d{d['id']}@{(due + timedelta(days=lead)).isoformat()}", due)
            for c in book if c["live"] for d in c["dates"] if not kind or d["kind"] == kind
            for due in days(start, end) if falls_on(d["month"], d["day"], due + timedelta(days=lead))}


def purchase_rule(book, after: int, categories: list[str], min_cents, start: date, end: date) -> set:
    """Remind `after` days after each purchase of at least min_cents with an item in a category."""
    wanted = {folded(c.strip()) for c in categories}
    return {(c["id"], f"p{p['id']}", p["on"] + timedelta(days=after))
            for c in book if c["live"] for p in c["purchases"]
            if start <= p["on"] + timedelta(days=after) <= end
            and (min_cents is None or p["total"] >= min_cents)
            and (not wanted or any(folded(cat) in wanted for cat in p["categories"]))}


def lapsed_rule(book, without: int, start: date, end: date) -> set:
    """Remind when a client's last purchase (imported history counting as of its day) is `without` days old."""
    expected = set()
    for c in book:
        bought = [p["on"] for p in c["purchases"]] + ([c["prior_as_of"]] if c["prior_as_of"] else [])
        if c["live"] and bought and start <= max(bought) + timedelta(days=without) <= end:
            expected.add((c["id"], f"lapsed@{max(bought).isoformat()}", max(bought) + timedelta(days=without)))
    return expected


# ---- random books -----------------------------------------------------------------------------------

def random_book(rng: random.Random, around: date, clients: int = 300) -> list[dict]:
    book = []
    for n in range(clients):
        prior = rng.random() < 0.15
        client = add_client(f"Élise{n}", "Marchand", prior_orders=3 if prior else 0,
                            prior_as_of=around - timedelta(days=rng.randrange(0, 400)) if prior else None)
        live = rng.random() > 0.1
        if not live:
            client.archived_at = datetime(2026, 1, 1)
        entry = {"id": client.id, "live": live, "dates": [], "purchases": [],
                 "prior_as_of": client.prior_as_of}
        for _ in range(rng.randrange(0, 4)):
            kind = rng.choice(["birthday", "anniversary", "custom"])
            month, day = (2, 29) if rng.random() < 0.2 else (rng.randrange(1, 13), rng.randrange(1, 29))
            important = add_date(client, kind, month, day, label="Fête" if kind == "custom" else "")
            entry["dates"].append({"id": important.id, "kind": kind, "month": month, "day": day})
        for _ in range(rng.randrange(0, 4)):
            on = around - timedelta(days=rng.randrange(0, 400))
            total = rng.randrange(1, 500) * 100
            categories = rng.sample(CATEGORIES, rng.randrange(1, 3))
            purchase = add_purchase(client, on, total, items=[("Item", c) for c in categories])
            entry["purchases"].append({"id": purchase.id, "on": on, "total": total, "categories": categories})
        book.append(entry)
    merged = book[-1]  # a merged duplicate is as gone as an archived one
    db.session.get(Client, merged["id"]).merged_into_id = book[0]["id"]
    merged["live"] = False
    db.session.flush()
    return book


def generated(rule, start: date, end: date) -> set:
    rows = db.session.execute(candidate_select(rule, start, end)).mappings()
    return {(r["client_id"], r["occurrence"], r["due_date"] if isinstance(r["due_date"], date)
             else date.fromisoformat(str(r["due_date"])[:10])) for r in rows}


@pytest.mark.parametrize("seed, start, end", [
    (1, date(2027, 2, 20), date(2027, 3, 3)),    # 28 February of a common year
    (2, date(2028, 2, 22), date(2028, 3, 6)),    # a leap year's 29 February
    (3, date(2026, 12, 24), date(2027, 1, 7)),   # across the new year
])
def test_generation_sql_matches_the_plain_rules(app, shop, seed, start, end):
    rng = random.Random(seed)
    with app.app_context():
        birthday, any_date, anniversary, purchase, everything, lapsed = only_rules(
            ("Birthday", "date", "birthday", 14), ("Any day", "date", "", 0), ("Anniversary", "date", "anniversary", 3),
            ("Éclat thank-you", "purchase", "", 2, "ÉCLAT, Œuvres", 10_000), ("Thank-you", "purchase", "", 30),
            ("Lapsed", "lapsed", "", 90),
        )
        book = random_book(rng, start)
        cases = [
            (birthday, date_rule(book, 14, "birthday", start, end)),
            (any_date, date_rule(book, 0, "", start, end)),
            (anniversary, date_rule(book, 3, "anniversary", start, end)),
            (purchase, purchase_rule(book, 2, ["ÉCLAT", "Œuvres"], 10_000, start, end)),
            (everything, purchase_rule(book, 30, [], None, start, end)),
            (lapsed, lapsed_rule(book, 90, start, end)),
        ]
        for rule, expected in cases:
            assert expected, f"{rule.name}: the random book should call for some reminders"
            assert generated(rule, start, end) == expected, rule.name
        db.session.rollback()
