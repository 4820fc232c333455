"""The owner adds, edits and deactivates a member of staff."""
import re

from playwright.sync_api import expect

from browser_kit import PASSWORD


def test_owner_manages_staff(page, check, sign_in, device):
    sign_in("owner")
    page.goto("/settings/")
    page.get_by_role("link", name=re.compile("^Staff")).click()
    expect(page.get_by_role("heading", name="Staff", exact=True)).to_be_visible()
    check.accessibility()

    name = f"Chloé Martin {device.title()}"
    email = f"chloe.{device[0]}@perle.fr"
    page.get_by_label("Name").fill(name)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Role").select_option(label="Associate")
    page.get_by_role("button", name="Add to staff").click()
    # No temporary password: told beside the field, nobody added.
    expect(page.get_by_label("Temporary password")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text(email)).to_have_count(0)
    check.accessibility()

    page.get_by_label("Temporary password").fill(PASSWORD)
    page.get_by_role("button", name="Add to staff").click()
    expect(page.get_by_role("status")).to_contain_text(f"{name} can now sign in as associate")
    row = page.get_by_role("listitem").filter(has_text=email)
    expect(row).to_contain_text("Associate")

    page.get_by_role("link", name=f"Edit {name}").click()
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    check.accessibility()
    page.get_by_label("Name").fill(f"{name} Roux")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text(f"Saved {name} Roux.")

    page.get_by_role("button", name=f"Deactivate {name} Roux").click()
    expect(page.get_by_role("status")).to_contain_text("deactivated and signed out")
    expect(page.get_by_role("listitem").filter(has_text=email)).to_contain_text("Deactivated")
    expect(page.get_by_role("button", name=f"Reactivate {name} Roux")).to_be_visible()
