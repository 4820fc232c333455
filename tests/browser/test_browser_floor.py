"""The shop floor at both sizes: the store book search, the card, Today for an associate and a manager.

Each step is also a screenshot in test-output/ (git-ignored), to be looked at.
"""
import re
from pathlib import Path

from playwright.sync_api import expect

from browser_kit import ROOT, add_client

SHOTS = ROOT / "test-output"


def shot(page, name: str, device: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"floor-{name}-{device}.png"), full_page=False)


def test_store_book_card_and_today(page, check, sign_in, device):
    name = f"Kenji Rossi{device.title()}"
    sign_in("associate2")
    add_client(page, *name.split(), phone="+33 6 12 34 56 78")

    # Another associate finds Bea's client and sees who looks after them.
    sign_in("associate")
    page.goto("/today")
    search = page.get_by_role("searchbox")
    search.fill("kenji r")
    dropdown = page.locator("#global-search-results")
    expect(dropdown.get_by_role("option", name=re.compile(name))).to_be_visible()
    expect(dropdown).to_contain_text("Bea Associate")
    shot(page, "search-someone-elses-client", device)

    page.goto("/clients?q=" + name.split()[1])
    expect(page.get_by_role("link", name=re.compile(name))).to_be_visible()
    page.get_by_role("link", name=re.compile(name)).click()
    expect(page.get_by_role("heading", level=1, name=name)).to_be_visible()
    expect(page.get_by_text("Bea Associate")).to_be_visible()
    page.wait_for_load_state()
    check.accessibility()
    shot(page, "card", device)
    if device == "phone":
        bar = page.get_by_role("navigation", name="Quick actions")
        expect(bar.get_by_role("link", name="Call")).to_be_visible()

    # Cancel on "Add date" keeps the card.
    page.get_by_role("link", name="Add an important date").click()
    dates = page.get_by_role("region", name="Important dates")
    expect(dates.get_by_label("Occasion", exact=True)).to_be_focused()
    dates.get_by_role("link", name="Cancel").click()
    expect(page.get_by_role("heading", level=1, name=name)).to_be_visible()
    expect(page.get_by_role("region", name="Important dates")).to_be_visible()

    page.goto("/today")
    expect(page.get_by_role("heading", level=1, name="Today")).to_be_visible()
    shot(page, "today-associate", device)

    sign_in("manager")
    page.goto("/today")
    expect(page.get_by_role("heading", level=1, name="Today")).to_be_visible()
    check.accessibility()
    shot(page, "today-manager", device)
