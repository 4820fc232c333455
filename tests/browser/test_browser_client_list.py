"""The client list at the counter: names in letter order and each client's lifetime spend, tablet and phone."""
from playwright.sync_api import expect

from browser_kit import ROOT

SHOTS = ROOT / "test-output" / "client-list"
# Each device imports its own clients, so the two runs never see each other's rows.
SURNAME = {"tablet": "Dépensier", "phone": "Dépensière"}


def test_rows_show_lifetime_spend_in_letter_order(page, check, sign_in, device, app_server, tmp_path):
    last = SURNAME[device]
    export = tmp_path / "customers.csv"
    export.write_text("First Name,Last Name,Email,Total Spent,Total Orders\n"
                      f"Zoë,{last},zoe.{device}@example.com,12500.00,9\n"
                      f"Émile,{last},emile.{device}@example.com,3150.00,4\n"
                      f"eve,{last},eve.{device}@example.com,,\n", encoding="utf-8")
    app_server.flask("import-clients", str(export))
    sign_in("associate")
    page.goto(f"/clients?q={last}")
    rows = page.locator(".cl-row")
    expect(rows).to_have_count(3)
    expect(rows.locator(".cl-row-link strong")).to_have_text([f"Émile {last}", f"eve {last}", f"Zoë {last}"])
    # In full on a tablet, shortened on a phone: only the one shown is visible (and read aloud).
    shown = ["3,2\u00a0k\u00a0€", "0\u00a0€", "12,5\u00a0k\u00a0€"] if device == "phone" else \
        ["3 150,00 €", "0,00 €", "12 500,00 €"]
    hidden = ".cl-spend > span" if device == "phone" else ".cl-spend > small"
    expect(rows.locator(".cl-spend > :visible")).to_have_text(shown)
    for element in rows.locator(hidden).all():
        expect(element).to_be_hidden()
    check.accessibility()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.goto("/clients")
    check.settled()
    page.screenshot(path=str(SHOTS / f"list-{device}.png"))
    page.goto(f"/clients?q={last}")
    check.settled()
    page.screenshot(path=str(SHOTS / f"search-{device}.png"))
