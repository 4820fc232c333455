"""One wording for a reminder wherever it shows: Today, the card, the composer, the morning
email and `flask reminders due` all read wording.headline, never the reason stored at generation."""
import csv
import io
from datetime import timedelta

import pytest
import sqlalchemy as sa

from clientbook.extensions import db
from clientbook.models import Reminder, User
from clientbook.reminders.defaults import ensure_default_rules
from clientbook.reminders.digest import build_digest
from clientbook.reminders.generation import run_generation
from clientbook.shop import shop_today
from tests.support.reminders import add_client, add_date, add_purchase


@pytest.fixture
def worded(app, shop, runner):
    """The CLI's words for each reminder due today, then the same reminders generated."""
    with app.app_context():
        ensure_default_rules()
        today = shop_today()
        marc = add_client("Marc", "Dupont", owner_id=shop["associate"])
        anna_day = today + timedelta(days=14)  # the default birthday rule: two weeks ahead
        add_date(marc, "birthday", anna_day.month, anna_day.day, for_whom="wife Anna")
        add_purchase(marc, today - timedelta(days=2))
        db.session.commit()
        client_id = marc.id
    result = runner.invoke(args=["reminders", "due", "--on", today.isoformat()])
    assert result.exit_code == 0, result.output
    words = {row["kind"]: row["reason"] for row in csv.DictReader(io.StringIO(result.output))}
    with app.app_context():
        run_generation(today)
        db.session.commit()
        ids = {r.kind: r.id for r in db.session.scalars(sa.select(Reminder))}
        stored = {r.kind: r.reason for r in db.session.scalars(sa.select(Reminder))}
    return {"words": words, "ids": ids, "stored": stored, "client_id": client_id, "today": today}


def test_the_cli_reads_like_today_not_like_the_stored_reason(worded):
    assert worded["words"]["birthday"] == "Anna’s birthday in 14 days — wife of Marc Dupont"
    assert worded["words"]["purchase"] == "Thank-you: bought 2 days ago"
    assert worded["stored"]["birthday"] != worded["words"]["birthday"]  # so the checks below can tell


def test_the_same_words_on_today_the_card_the_composer_and_the_digest(app, client, auth, shop, worded):
    auth.login("associate")
    today_page = client.get("/today").get_data(as_text=True)
    card = client.get(f"/clients/{worded['client_id']}").get_data(as_text=True)
    with app.app_context():
        message, _ = build_digest(db.session.get(User, shop["associate"]), worded["today"])
        digest_text = message.get_body(("plain",)).get_content()
        digest_html = message.get_body(("html",)).get_content()
    for kind, words in worded["words"].items():
        composer = client.get(f"/clients/{worded['client_id']}/message?reminder_id={worded['ids'][kind]}")
        assert composer.status_code == 200
        for place, html in (("Today", today_page), ("card", card), ("composer", composer.get_data(as_text=True)),
                            ("digest text", digest_text), ("digest html", digest_html)):
            assert words in html, f"{kind}: {words!r} missing on {place}"
