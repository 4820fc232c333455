"""First run: the shop and its owner are created in the browser; there are no default accounts."""
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from browser_kit import PASSWORD

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output"


@pytest.fixture
def app_server(blank_server):
    return blank_server


def test_set_up_starts_from_the_device_language_and_zone(browser, app_server):
    """A Belgian owner's laptop: country and currency from its language, the zone from its clock."""
    context = browser.new_context(base_url=app_server.url, locale="fr-BE", timezone_id="America/Toronto")
    try:
        page = context.new_page()
        page.goto("/setup")
        expect(page.get_by_label("Country")).to_have_value("BE")
        expect(page.get_by_label("Currency")).to_have_value("EUR")
        expect(page.get_by_label("Time zone")).to_have_value("America/Toronto")  # filled by the page's script
    finally:
        context.close()


def test_first_visit_sets_up_the_shop(page, check):
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/setup$"))
    expect(page.get_by_role("heading", name="Set up your shop")).to_be_visible()
    check.accessibility()

    page.get_by_label("Shop name").fill("Atelier Lune")
    page.get_by_label("Country").select_option("BE")
    page.get_by_label("Currency").select_option("EUR")
    page.get_by_label("Time zone").select_option("Europe/Brussels")
    page.get_by_label("Your name").fill("Léa Lune")
    page.get_by_label("Your email").fill("lea@atelier-lune.be")
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Create the shop").click()

    # The problem is told beside the field, and what was typed is kept.
    expect(page.get_by_label("Password")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("alert").filter(has_text="at least 12 characters")).to_be_visible()
    expect(page.get_by_label("Shop name")).to_have_value("Atelier Lune")
    check.accessibility()

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create the shop").click()
    expect(page.get_by_role("heading", name="Welcome to Atelier Lune's client book")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Your shop is ready")
    check.full_page()
    check.accessibility()

    # Set-up runs once: afterwards its address leads into the shop, not to a second set-up.
    page.goto("/setup")
    expect(page.get_by_role("heading", name="Set up your shop")).to_have_count(0)


def test_the_app_shows_an_offline_page_when_the_network_drops(page, context, app_server):
    app_server.set_up_shop()
    page.goto("/login")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now controlled by the service worker
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    context.set_offline(True)
    page.goto("/today")
    expect(page.get_by_role("heading", name="No connection to the shop's Clientbook")).to_be_visible()
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"offline-{page.viewport_size['width']}.png"))
    context.set_offline(False)
    page.get_by_role("link", name="Try again").click()
    expect(page).to_have_url(re.compile(r"/login"))
