"""Signing in and out at the counter."""
import re
from pathlib import Path

from playwright.sync_api import expect

from browser_kit import PASSWORD, STAFF

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output"
SCREENSHOTS.mkdir(exist_ok=True)


def test_sign_in_and_out(page, check):
    page.goto("/staff")
    expect(page).to_have_url(re.compile(r"/login\?next=/staff$"))
    expect(page.get_by_role("heading", name="Sign in to Maison Perle")).to_be_visible()
    check.accessibility()

    _, email, _ = STAFF["owner"]
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("That email and password don't match an active account.")
    expect(page.get_by_label("Email")).to_have_value(email)
    check.accessibility()

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Keep me signed in on this device").check()
    page.get_by_role("button", name="Sign in").click()
    # Back where the person was going before signing in.
    expect(page).to_have_url(re.compile(r"/staff$"))
    expect(page.get_by_role("heading", name="Staff", exact=True)).to_be_visible()
    check.full_page()

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("status")).to_contain_text("You are signed out.")
    page.goto("/staff")
    expect(page).to_have_url(re.compile(r"/login\?next="))


def test_associate_is_kept_out_of_owner_pages(page, sign_in):
    sign_in("associate")
    response = page.goto("/staff")
    assert response.status == 403
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings")).to_have_count(0)


def _sign_in_by_hand(page, role: str) -> None:
    """Through the form (its own session), so ending it doesn't touch the session-wide cached cookies."""
    _, email, _ = STAFF[role]
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/today$"))


def test_search_after_the_session_ended_goes_to_sign_in_and_back(page, context):
    _sign_in_by_hand(page, "associate2")
    page.goto("/clients")
    page.wait_for_load_state()
    # In another tab the session is ended (only this session: other tests share the role's cached one).
    other_tab = context.new_page()
    other_tab.goto("/today")
    other_tab.get_by_role("button", name="Sign out").click()
    expect(other_tab).to_have_url(re.compile(r"/login$"))
    other_tab.close()
    page.get_by_label("Search clients").fill("ma")
    # htmx sends the whole tab to the login page (never a login form inside the results)...
    expect(page).to_have_url(re.compile(r"/login\?next=/clients$"))
    expect(page.get_by_role("heading", name="Sign in to Maison Perle")).to_have_count(1)
    page.get_by_label("Email").fill(STAFF["associate2"][1])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    # ...and back to the page it was on.
    expect(page).to_have_url(re.compile(r"/clients$"))


def test_account_page_changes_the_password_with_messages_beside_the_fields(page, check, app_server):
    _sign_in_by_hand(page, "associate2")
    page.get_by_role("link", name="Bea").click()
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill("password1234")
    page.get_by_label("New password again").fill("password1234")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("alert").filter(has_text="too easy to guess")).to_be_visible()
    check.full_page()
    check.accessibility()
    page.screenshot(path=str(SCREENSHOTS / f"account-{page.viewport_size['width']}.png"), full_page=True)
