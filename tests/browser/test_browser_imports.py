"""Importing a Shopify export: upload, preview (nothing saved yet), confirm, watch it finish."""
import re
from pathlib import Path

from playwright.sync_api import expect

SHOPIFY_CSV = """Customer ID,First Name,Last Name,Email,Accepts Email Marketing,Phone,Accepts SMS Marketing,Tags,Total Spent,Total Orders
'{id}1,Honorine,Castelnau{tag},honorine.{device}@example.com,yes,+33 6 44 55 66 {d1},no,"vip, bridal",3150.00,4
'{id}2,Anselme,Castelnau{tag},anselme.{device}@example.com,no,+33 6 44 55 77 {d2},yes,,0.00,0
'{id}3,Ludivine,Castelnau{tag},,no,,no,,,
'{id}4,,,,no,,no,,,
'{id}5,Octave,Castelnau{tag},octave@@example,yes,+33 6 44 55 88 {d2},no,,120.00,1
"""
SHOTS = Path(__file__).resolve().parents[2] / "test-output"


def test_import_a_shopify_csv_through_the_preview(page, check, sign_in, worker, device):
    sign_in("manager")
    tag = device.title()
    digits = {"tablet": ("11", "12"), "phone": ("21", "22")}[device]
    csv = SHOPIFY_CSV.format(tag=tag, device=device, d1=digits[0], d2=digits[1], id={"tablet": "91", "phone": "92"}[device])

    page.goto("/settings/")
    page.get_by_role("link", name=re.compile("^Import")).click()
    expect(page.get_by_role("heading", name="Import", exact=True)).to_be_visible()
    check.accessibility()
    page.get_by_role("radio", name=re.compile("^Clients")).check()
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": f"customers-{device}.csv", "mimeType": "text/csv", "buffer": csv.encode()}])
    page.get_by_role("button", name="Upload and preview").click()

    # The preview tells what will happen before anything is saved.
    expect(page.get_by_role("heading", level=1, name=f"customers-{device}.csv")).to_be_visible()
    expect(page.get_by_text("Shopify · recognised")).to_be_visible()
    expect(page.get_by_text("5 rows read. Nothing has been saved yet.")).to_be_visible()
    first_rows = page.locator("table.first-rows")
    expect(first_rows).to_contain_text("Honorine")
    # A malformed email costs the email, not the client: the row is kept and the problem names who it is.
    expect(first_rows).to_contain_text(f"Octave Castelnau{tag}")
    problems = page.locator("table.problems")
    expect(problems).to_contain_text("Skipped")
    expect(problems).to_contain_text(f"Octave Castelnau{tag}, octave@@example")
    expect(problems).to_contain_text("left out")
    expect(first_rows).to_contain_text("over 4 orders")
    page.get_by_label("Who looks after the new clients?").select_option(label="Nobody yet: the store book")
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"import-preview-{device}.png"), full_page=True)
    check.accessibility()
    page.goto(f"/clients?q=castelnau{device}")
    expect(page.get_by_text("No client matches")).to_be_visible()
    page.go_back()

    page.get_by_role("button", name="Import 4 rows").click()
    expect(page.get_by_role("heading", name="Import finished")).to_be_visible(timeout=30_000)
    check.accessibility()
    page.get_by_role("link", name="See the clients").click()
    page.get_by_role("searchbox", name="Search clients").fill(f"castelnau{device}")
    for first in ("Honorine", "Anselme", "Ludivine", "Octave"):
        expect(page.get_by_role("link", name=re.compile(f"{first} Castelnau{tag}"))).to_be_visible()

    # The history from the point of sale counts on the card, and says where it comes from.
    page.get_by_role("link", name=re.compile(f"Honorine Castelnau{tag}")).click()
    expect(page.locator("#summary")).to_contain_text("over 4 orders before")
    page.screenshot(path=str(SHOTS / f"import-card-history-{device}.png"), full_page=False)
