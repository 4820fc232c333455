"""The client book at the counter: find a client fast, read and edit the card, log a sale and a note."""
import re

from playwright.sync_api import expect

from browser_kit import add_client

CLIENT_LIST_TITLE = re.compile(r"^(My clients|Store book)$")
# Each device gets its own clients, so the two runs of a flow never see each other's data.
PHONE_TAILS = {"tablet": "4821", "phone": "7395"}
SURNAME = {"tablet": "Quillardet", "phone": "Quillardin"}


def search_box(page):
    return page.get_by_role("searchbox", name="Search clients")


def test_search_by_partial_name_and_phone_tail_opens_the_card(page, check, sign_in, device):
    sign_in("associate")
    first, last = "Zéphyrine", SURNAME[device]
    page.goto("/clients/new")
    check.accessibility()
    add_client(page, first, last, phone=f"06 12 30 {PHONE_TAILS[device][:2]} {PHONE_TAILS[device][2:]}",
               email=f"zephyrine.{device}@example.com")
    check.accessibility()

    page.goto("/clients")
    expect(page.get_by_role("heading", level=1, name=CLIENT_LIST_TITLE)).to_be_visible()
    check.accessibility()
    # A partial, unaccented name finds her as you type (htmx swaps the results, the URL follows).
    search_box(page).fill("zephy " + last[:7].lower())
    expect(page.get_by_role("link", name=re.compile(f"{first} {last}"))).to_be_visible()
    expect(page).to_have_url(re.compile(r"q=zephy"))
    check.accessibility()

    # So do the last digits of her phone number.
    search_box(page).fill(PHONE_TAILS[device])
    expect(page.get_by_role("link", name=re.compile(f"{first} {last}"))).to_be_visible()
    page.get_by_role("link", name=re.compile(f"{first} {last}")).click()
    expect(page.get_by_role("heading", level=1, name=f"{first} {last}")).to_be_visible()
    check.full_page()
    check.accessibility()


def test_back_and_forward_after_htmx_search_show_whole_pages(page, check, sign_in, device):
    sign_in("associate")
    first, last = "Octavie", f"Brisemur{device.title()}"
    add_client(page, first, last)
    page.goto("/clients")
    search_box(page).fill("brisemur" + device)
    row_link = page.get_by_role("link", name=re.compile(f"{first} {last}"))
    expect(row_link).to_be_visible()
    expect(page).to_have_url(re.compile(r"/clients\?.*q=brisemur"))
    row_link.click()
    expect(page.get_by_role("heading", level=1, name=f"{first} {last}")).to_be_visible()

    page.go_back()
    expect(page).to_have_url(re.compile(r"/clients\?.*q=brisemur"))
    expect(page.get_by_role("link", name=re.compile(f"{first} {last}"))).to_be_visible()
    expect(page.get_by_role("heading", level=1, name=CLIENT_LIST_TITLE)).to_be_visible()
    check.full_page()

    page.go_forward()
    expect(page.get_by_role("heading", level=1, name=f"{first} {last}")).to_be_visible()
    check.full_page()


def test_edit_contact_inline_shows_errors_beside_the_field(page, check, sign_in, device):
    sign_in("associate")
    first, last = "Ysaline", f"Corbière{device.title()}"
    add_client(page, first, last, email=f"ysaline.{device}@example.com")
    card_url = page.url

    page.get_by_role("link", name="Edit name and contact").click()
    contact = page.get_by_role("region", name="Name and contact")
    email = contact.get_by_label("Email", exact=True)
    expect(email).to_be_visible()
    email.fill("ysaline at example")
    contact.get_by_role("button", name="Save").click()
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(contact.get_by_role("alert")).to_be_visible()
    assert page.url == card_url, "the edit happens in place"
    check.accessibility()

    email.fill(f"ysaline.new.{device}@example.com")
    contact.get_by_role("button", name="Save").click()
    expect(contact.get_by_role("link", name=f"ysaline.new.{device}@example.com")).to_be_visible()
    page.reload()
    expect(page.get_by_role("link", name=f"ysaline.new.{device}@example.com")).to_be_visible()


def test_add_a_purchase_and_a_note(page, check, sign_in, device):
    sign_in("associate")
    first, last = "Philibert", f"Vaudrey{device.title()}"
    add_client(page, first, last)

    # The tablet's quick button, or the phone's bottom bar.
    page.get_by_role("link", name=re.compile(r"^(Add purchase|Purchase)$")).click()
    form = page.get_by_role("region", name="New purchase")
    expect(form).to_be_visible()
    check.accessibility()
    form.get_by_label("Item").first.fill("Pearl stud earrings")
    form.get_by_label("Category").first.fill("earrings")
    form.get_by_label("Amount").first.fill("abc")
    form.get_by_role("button", name="Save purchase").click()
    # A wrong amount is told beside it and nothing is saved.
    expect(page.get_by_role("alert").first).to_be_visible()
    expect(page.get_by_label("Amount").first).to_have_attribute("aria-invalid", "true")

    page.get_by_label("Amount").first.fill("249.50")
    page.get_by_role("button", name="Save purchase").click()
    history = page.get_by_role("region", name="History")
    expect(history.get_by_text("Pearl stud earrings")).to_be_visible()
    expect(page.get_by_role("region", name="Purchase summary")).to_contain_text("249,50")  # French shop

    page.get_by_label("Note").fill(f"Wants matching pendant ({device}).")
    page.get_by_role("button", name="Add note").click()
    expect(history.get_by_text(f"Wants matching pendant ({device}).")).to_be_visible()
    page.reload()
    expect(page.get_by_role("region", name="History").get_by_text(f"Wants matching pendant ({device}).")).to_be_visible()
    check.accessibility()
