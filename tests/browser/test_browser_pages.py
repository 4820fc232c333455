"""Every main page a manager or owner reaches from the navigation passes the accessibility checks."""
import re

import pytest
from playwright.sync_api import expect

SETTINGS_TILES = ("Kinds of job", "Reminders", "Message templates", "Channels", "Import", "Export", "Preferences", "Staff", "Shop")
NAV_LINKS = ("Today", "Clients", "Jobs", "Campaigns", "Results", "Settings")


@pytest.mark.parametrize("tile", SETTINGS_TILES)
def test_settings_pages(page, check, sign_in, tile):
    sign_in("owner")
    page.goto("/settings/")
    page.get_by_role("link", name=re.compile(f"^{tile}")).click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    check.full_page()
    check.accessibility()


@pytest.mark.parametrize("link", NAV_LINKS)
def test_main_navigation_pages(page, check, sign_in, link):
    sign_in("manager")
    page.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name=re.compile(f"^{link}")).click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    check.full_page()
    check.accessibility()
