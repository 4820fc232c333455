"""Signing in and out at the counter."""
import re

from playwright.sync_api import expect

from browser_kit import PASSWORD, STAFF


def test_sign_in_and_out(page, check):
    page.goto("/staff")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fstaff$"))
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
