"""Reaching out: the hand-off opens the associate's own app with the message ready, and the
outreach lands on the client's timeline. The sms:/mailto: links are checked, never followed."""
import re
from urllib.parse import unquote

import pytest
from playwright.sync_api import expect

from browser_kit import DEFUSE_AUTO_OPEN, add_client


@pytest.fixture
def page(page):
    page.add_init_script(DEFUSE_AUTO_OPEN)
    return page


PHONES = {"tablet": ("+33 6 70 80 90 11", "+33670809011"), "phone": ("+33 6 70 80 90 22", "+33670809022")}


def history(page):
    return page.get_by_role("region", name="History")


def test_text_from_the_card_hands_off_to_messages(page, check, sign_in, device):
    sign_in("associate")
    typed, e164 = PHONES[device]
    add_client(page, "Gwladys", f"Morvan{device.title()}", phone=typed, email=f"gwladys.{device}@example.com",
               consent="Asked in store")

    page.get_by_role("button", name="Text", exact=True).click()
    opened = page.get_by_role("link", name="Open Messages")
    expect(opened).to_be_visible()
    href = opened.get_attribute("href")
    assert href.startswith(f"sms:{e164}"), href
    expect(opened).to_have_attribute("data-test-auto-open", "1")  # the app opens Messages by itself
    assert "Gwladys" in unquote(href), "the message is ready, with the client's name"
    # Logged at the tap; "Sent?" is asked, and until answered the history says it was opened in the app.
    expect(page.locator(".msg-actions .msg-sent-question")).to_contain_text("Sent?")

    page.reload()
    expect(history(page).get_by_text(re.compile("opened in app"))).to_be_visible()
    expect(history(page)).to_contain_text("Text")

    # The full composer is there too, and usable by everyone.
    page.get_by_role("link", name="Write…").click()
    expect(page.get_by_role("heading", level=1, name=re.compile("^Message Gwladys"))).to_be_visible()
    check.accessibility()


def test_write_an_email_and_hand_it_to_the_mail_app(page, check, sign_in, device):
    sign_in("associate")
    typed, _ = PHONES[device]
    email = f"aurelien.{device}@example.com"
    add_client(page, "Aurélien", f"Kerbrat{device.title()}", phone=typed, email=email, consent="Signed the form")

    page.get_by_role("link", name="Write…").click()
    expect(page.get_by_role("heading", level=1, name=re.compile("^Message Aurélien"))).to_be_visible()
    check.accessibility()
    page.get_by_role("group", name="Channel").get_by_role("link", name=re.compile("^Email")).click()
    expect(page.get_by_role("button", name="Open in Mail")).to_be_visible()  # the email draft is in
    body = page.get_by_label("Message", exact=True)
    body.fill("")
    page.get_by_role("button", name="Open in Mail").click()
    expect(page.get_by_role("alert")).to_contain_text("Write a message first.")
    expect(body).to_have_attribute("aria-invalid", "true")
    check.accessibility()

    page.get_by_label("Subject").fill("Your ring is ready")
    body.fill(f"Bonjour Aurélien, your ring is ready to collect ({device}).")
    page.get_by_role("button", name="Open in Mail").click()
    opened = page.get_by_role("link", name="Open Mail")
    expect(opened).to_be_visible()
    href = opened.get_attribute("href")
    assert href.startswith(f"mailto:{email}"), href
    expect(opened).to_have_attribute("data-test-auto-open", "1")  # the app opens Mail by itself
    assert "Your ring is ready" in unquote(href.replace("+", " "))

    page.get_by_role("link", name="Back to the card", exact=True).click()
    expect(history(page).get_by_text(f"your ring is ready to collect ({device})", exact=False)).to_be_visible()


