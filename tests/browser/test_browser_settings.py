"""Shop settings and the shop's preference keys."""
import re


from playwright.sync_api import expect



def test_shop_settings_show_errors_beside_the_field(page, check, sign_in):
    sign_in("owner")
    page.goto("/settings/")
    expect(page.get_by_role("heading", name="Settings")).to_be_visible()
    check.accessibility()

    page.get_by_role("link", name=re.compile("^Shop")).click()
    expect(page.get_by_role("heading", name="Shop settings")).to_be_visible()
    check.accessibility()
    start, end = page.get_by_label("Messages allowed from"), page.get_by_label("Messages allowed until")
    original_start, original_end = start.input_value(), end.input_value()
    start.fill("21:00")
    end.fill("08:00")
    page.get_by_role("button", name="Save").click()
    expect(end).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("alert")).to_have_text("The end must be later than the start.")
    check.accessibility()

    start.fill(original_start[:5])
    end.fill(original_end[:5])
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Shop settings saved.")
    expect(page.get_by_label("Shop name")).to_have_value("Maison Perle")


def test_manager_adds_a_preference(page, check, sign_in, device):
    sign_in("manager")
    page.goto("/settings/")
    page.get_by_role("link", name=re.compile("^Preferences")).click()
    expect(page.get_by_role("heading", name="Client preferences")).to_be_visible()
    check.accessibility()

    key = f"Bracelet size {device}"
    page.get_by_label("New preference").fill(key)
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_role("button", name=f"Hide {key}")).to_be_visible()


def test_manager_hides_a_preference_in_place(page, check, sign_in, device):
    sign_in("manager")
    page.goto("/settings/preferences")
    key = f"Watch strap {device}"
    page.get_by_label("New preference").fill(key)
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_role("button", name=f"Hide {key}")).to_be_visible()

    # Hiding swaps the list in place (htmx) and keeps the rest of the page.
    page.get_by_role("button", name=f"Hide {key}").click()
    expect(page.get_by_role("button", name=f"Show {key}")).to_be_visible()
    check.full_page()
    page.reload()
    expect(page.get_by_role("button", name=f"Show {key}")).to_be_visible()
