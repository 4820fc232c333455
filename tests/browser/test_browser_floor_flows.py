"""The card at the counter, at both sizes: the one-tap draft fits the client, "Sent?" decides what
counts, a likely duplicate is offered before a new card, Cancel keeps the card, a save error is
focused where it can be seen, and a phone keeps Note · Purchase · Text · Call under the thumb.

Each flow leaves screenshots in test-output/ (git-ignored), to be looked at.
"""
import re
from urllib.parse import unquote

import pytest
from playwright.sync_api import expect

from browser_kit import DEFUSE_AUTO_OPEN, ROOT, add_client

SHOTS = ROOT / "test-output"
# Each device has its own clients and numbers, so the two runs of a flow never meet.
PHONES = {"tablet": "+33 6 41 52 63 {}", "phone": "+33 6 41 52 64 {}"}


@pytest.fixture
def page(page):
    page.add_init_script(DEFUSE_AUTO_OPEN)
    return page


def shot(page, name: str, device: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"flows-{name}-{device}.png"), full_page=False)


def phone(device: str, tail: str) -> str:
    return PHONES[device].format(tail)


def text_draft(page) -> str:
    """Tap the card's one-tap Text and return the message handed to the Messages app."""
    page.locator(".msg-actions").get_by_role("button", name="Text", exact=True).click()
    opened = page.locator(".msg-actions").get_by_role("link", name="Open Messages").last
    expect(opened).to_be_visible()
    href = opened.get_attribute("href")
    assert href.startswith("sms:"), href
    return unquote(href.replace("+", " "))


def add_purchase(page, device: str, item: str, amount: str) -> None:
    open_purchase_form(page, device)
    form = page.get_by_role("region", name="New purchase")
    form.get_by_label("Item").first.fill(item)
    form.get_by_label("Amount").first.fill(amount)
    form.get_by_role("button", name="Save purchase").click()
    expect(page.get_by_role("region", name="New purchase")).to_have_count(0)


def open_purchase_form(page, device: str) -> None:
    if device == "phone":
        page.locator(".cl-phone-bar").get_by_role("link", name="Purchase").click()
    else:
        page.get_by_role("navigation", name="Quick actions").get_by_role("link", name="Add purchase").click()
    expect(page.get_by_role("region", name="New purchase")).to_be_visible()
    # Type only once htmx has finished swapping the form in and the card script has focused it.
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')")


def test_one_tap_draft_fits_the_client(page, check, sign_in, device):
    sign_in("associate")
    # No anniversary, no purchase: never "Happy anniversary", never an unfilled "{last_item}".
    add_client(page, "Ondine", f"Caradec{device.title()}", phone=phone(device, "01"), consent="Asked in store")
    draft = text_draft(page)
    assert "anniversary" not in draft.lower(), draft
    assert "Ondine" in draft and "{" not in draft and "your ." not in draft, draft
    shot(page, "draft-neutral", device)

    # Bought today: the thank-you, naming what she bought.
    add_client(page, "Perrine", f"Le Goff{device.title()}", phone=phone(device, "02"), consent="Asked in store")
    add_purchase(page, device, "Pearl drop earrings", "320")
    draft = text_draft(page)
    assert "Thank you" in draft and "Pearl drop earrings" in draft, draft
    assert "anniversary" not in draft.lower(), draft
    check.accessibility()
    shot(page, "draft-thank-you", device)


def outreaches(page, name: str) -> int:
    page.goto("/messaging/dashboard?period=7d")
    row = page.locator("table.msg-results tbody tr").filter(has=page.get_by_role("rowheader", name=name))
    if row.count() == 0:
        return 0
    return int(row.locator("td.num").first.inner_text().strip())


def test_only_sent_counts_after_a_hand_off(page, check, sign_in, device):
    sign_in("manager")
    before = outreaches(page, "Bea Associate")

    sign_in("associate2")
    add_client(page, "Solenn", f"Quéré{device.title()}", phone=phone(device, "03"), consent="Asked in store")
    text_draft(page)
    question = page.locator(".msg-sent-question").last
    expect(question).to_contain_text("Sent?")
    check.accessibility()
    shot(page, "sent-question", device)
    question.get_by_role("button", name="Not sent").click()
    expect(page.locator(".msg-answered").last).to_contain_text("Logged as not sent")

    text_draft(page)
    page.locator(".msg-sent-question").last.get_by_role("button", name="Sent", exact=True).click()
    expect(page.locator(".msg-answered").last).to_contain_text("Logged as sent to Solenn")

    page.reload()
    history = page.get_by_role("region", name="History")
    expect(history.get_by_text("sent from own app")).to_have_count(1)
    expect(history.get_by_text("Not sent (the associate said so).")).to_have_count(1)
    expect(history.locator(".msg-sent-question")).to_have_count(0)  # both answered

    sign_in("manager")
    assert outreaches(page, "Bea Associate") == before + 1, "only the hand-off answered Sent counts"


def test_new_client_warns_of_a_likely_duplicate(page, check, sign_in, device):
    sign_in("associate")
    name = f"Maëlys Tanguy{device.title()}"
    email = f"maelys.{device}@example.com"
    add_client(page, *name.split(), phone=phone(device, "04"), email=email)

    page.goto("/clients/new")
    page.get_by_label("First name", exact=True).fill("Maelys")
    page.get_by_label("Last name", exact=True).fill("Tanguy")
    page.get_by_label("Email", exact=True).fill(email.upper())
    page.get_by_role("button", name="Save client").click()
    warning = page.get_by_role("alert").filter(has_text="may already be in the book")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text(name)
    expect(page.get_by_role("button", name="Save as a new client anyway")).to_be_visible()
    check.accessibility()
    shot(page, "duplicate-warning", device)

    # Other flows' clients may share her name or her email: open the one with both (a twin of
    # this very client, left by an earlier run on the same server, would do as well).
    match = warning.get_by_role("listitem").filter(has_text=email).filter(has_text=name)
    match.get_by_role("link", name="Open this client").first.click()
    expect(page.get_by_role("heading", level=1, name=name)).to_be_visible()


def test_cancel_on_add_date_and_wish_list_keeps_the_card(page, check, sign_in, device):
    sign_in("associate")
    name = f"Armelle Nédélec{device.title()}"
    add_client(page, *name.split(), phone=phone(device, "05"))
    quick = page.get_by_role("navigation", name="Quick actions").filter(has_text="Add date")
    for opener, section, field in (
        ("Add date" if device == "tablet" else "Add an important date", "Important dates", "Occasion"),
        ("Add to wish list" if device == "tablet" else "Add to the wish list", "Wish list", "Wish"),
    ):
        (quick if device == "tablet" else page).get_by_role("link", name=opener, exact=True).click()
        region = page.get_by_role("region", name=section)
        expect(region.get_by_role("button", name=re.compile("^Add"))).to_be_visible()
        region.get_by_role("link", name="Cancel").click()
        expect(region.get_by_role("button", name=re.compile("^Add"))).to_have_count(0)
        expect(page.get_by_role("heading", level=1, name=name)).to_be_visible()
        expect(page.get_by_role("region", name="History")).to_be_visible()
        expect(page.get_by_role("region", name="Important dates")).to_be_visible()
        expect(page.get_by_role("region", name="Wish list")).to_be_visible()
    shot(page, "after-cancels", device)


def test_a_save_error_is_focused_and_in_view(page, check, sign_in, device):
    sign_in("associate")
    add_client(page, "Clervie", f"Jaouen{device.title()}", phone=phone(device, "06"))
    open_purchase_form(page, device)
    form = page.get_by_role("region", name="New purchase")
    form.get_by_label("Item").first.fill("Gold hoops")
    form.get_by_label("Amount").first.fill("a lot")
    form.get_by_role("button", name="Save purchase").click()
    amount = page.get_by_role("region", name="New purchase").get_by_label("Amount").first
    expect(amount).to_have_attribute("aria-invalid", "true")
    expect(amount).to_be_focused()
    expect(amount).to_be_in_viewport()
    # Not hidden under the sticky header either.
    header_bottom = page.evaluate(
        "() => { const h = document.querySelector('header, .topbar'); return h ? h.getBoundingClientRect().bottom : 0; }")
    assert amount.bounding_box()["y"] >= header_bottom - 1
    shot(page, "save-error-focused", device)


def test_phone_keeps_the_action_bar_at_the_bottom(page, check, sign_in, device):
    sign_in("associate")
    add_client(page, "Gurvan", f"Le Bihan{device.title()}", phone=phone(device, "07"))
    bar = page.locator(".cl-phone-bar")
    if device == "tablet":
        expect(bar).to_be_hidden()  # the tablet has the quick buttons under the summary
        return
    for label in ("Note", "Purchase", "Text", "Call"):
        expect(bar.get_by_role("link", name=label, exact=True)).to_be_visible()
    expect(bar.get_by_role("link", name="Call")).to_have_attribute("href", re.compile(r"^tel:\+3364152640?7"))
    before = bar.bounding_box()
    page.mouse.wheel(0, 1500)
    page.wait_for_function("() => window.scrollY > 0")
    box = bar.bounding_box()
    assert box == before, "the bar stays put while the card scrolls"
    assert 844 - 140 <= box["y"] and box["y"] + box["height"] <= 844, f"the bar is not at the bottom: {box}"
    # Nothing (the app's own tab bar included) covers any of the four.
    covered = page.evaluate("""() => Array.from(document.querySelectorAll('.cl-phone-bar a')).filter(a => {
        const r = a.getBoundingClientRect();
        return !a.contains(document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2)); })
        .map(a => a.textContent.trim())""")
    assert covered == [], f"covered on the phone: {covered}"
    check.accessibility()
    shot(page, "phone-bar", device)
