"""What staff see when a save can't go through (the database busy), and the owner's privacy and
backup screens, in Chromium on a tablet and a phone."""
from __future__ import annotations

import sqlite3

from playwright.sync_api import expect

from browser_kit import add_client

SCREENSHOTS = "test-output/screens"


def test_a_busy_database_says_busy_try_again_and_keeps_the_note(page, check, sign_in, device, app_server):
    sign_in("associate")
    add_client(page, "Sidonie", f"Busy{device.title()}")
    note = f"Asked about the sapphire ({device})."
    page.get_by_label("Note").fill(note)
    writer = sqlite3.connect(app_server.instance / "clientbook.sqlite3", isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # someone else holds the write lock past the busy timeout
    try:
        page.get_by_role("button", name="Add note").click()
        problem = page.locator("form#note + .form-problem")
        expect(problem).to_contain_text("Busy, try again", timeout=15000)
        expect(page.get_by_label("Note")).to_have_value(note)
        page.screenshot(path=f"{SCREENSHOTS}/busy-{device}.png", full_page=True, caret="initial")
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    page.get_by_role("button", name="Add note").click()
    expect(page.get_by_role("region", name="History").get_by_text(note)).to_be_visible()
    expect(page.locator(".form-problem")).to_have_count(0)
    check.accessibility()


def test_privacy_page_and_backup_status(page, check, sign_in, device):
    sign_in("owner")
    add_client(page, "Gaëlle", f"Privacy{device.title()}")
    page.get_by_role("link", name="Export or erase data").click()
    expect(page.get_by_role("heading", name="Erase")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download their data").click()
    assert download.value.suggested_filename.endswith("-data.zip")
    page.get_by_role("button", name="Erase").click()
    expect(page.get_by_text('Type "erase" to confirm')).to_be_visible()
    check.accessibility()
    check.fits_width()
    page.screenshot(path=f"{SCREENSHOTS}/privacy-{device}.png", full_page=True, caret="initial")
    page.goto("/settings/")
    expect(page.get_by_role("heading", name="Backups")).to_be_visible()
    check.accessibility()
    page.screenshot(path=f"{SCREENSHOTS}/settings-{device}.png", full_page=True, caret="initial")
