"""Inbox and appointments in a real browser, at tablet and phone size:
a reply arrives → the badge counts it → open the thread → reply; book an appointment from the
card → it shows on Today and in the week view."""
from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import requests
from playwright.sync_api import expect

from browser_kit import ROOT, add_client, csrf_token_in

SID, TOKEN = "AC" + "1" * 32, "browser-test-auth-token"
PHONES = {"tablet": ("+33 6 55 44 33 11", "+33655443311"), "phone": ("+33 6 55 44 33 22", "+33655443322")}
SHOTS = ROOT / "test-output" / "screens"


@pytest.fixture(scope="module")
def twilio_connected(live_server):
    """The owner connects Twilio in Settings → Channels, so signed webhooks are accepted."""
    session = live_server.http_session("owner")
    token = csrf_token_in(session.get(live_server.url + "/messaging/channels").text)
    response = session.post(live_server.url + "/messaging/channels/sms", allow_redirects=False, data={
        "csrf_token": token, "twilio_account_sid": SID, "twilio_auth_token": TOKEN,
        "twilio_from": "+33 1 00 00 00 00", "action": "save"})
    assert response.status_code == 303, response.text[:500]
    return live_server


def text_arrives(server, sender: str, body: str) -> None:
    import sys

    sys.path.insert(0, str(ROOT))
    from tests.fake_twilio import twilio_signature

    url = server.url + "/hooks/twilio/inbound"
    params = {"MessageSid": f"SM{datetime.now().timestamp():.6f}".replace(".", ""), "AccountSid": SID,
              "From": sender, "To": "+33100000000", "Body": body, "NumMedia": "0"}
    response = requests.post(url, data=params, headers={"X-Twilio-Signature": twilio_signature(TOKEN, url, params)},
                             timeout=10)
    assert response.status_code == 200, response.text[:300]


def screenshot(page, name: str, device: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{device}.png"), full_page=True)


def test_a_reply_arrives_and_is_answered_from_the_inbox(page, check, sign_in, device, twilio_connected):
    sign_in("associate")
    typed, e164 = PHONES[device]
    last = f"Quéméner{device.title()}"
    add_client(page, "Maëlys", last, phone=typed, email=f"maelys.{device}@example.com", consent="Asked in store")
    text_arrives(twilio_connected, e164, "Bonjour ! Is my ring ready to collect?")

    page.goto("/today")
    badge = page.locator("#inbox-badge")
    expect(badge).to_be_visible()
    assert int(re.sub(r"\D", "", badge.inner_text())) >= 1
    page.get_by_role("navigation", name="Main").get_by_role("link", name=re.compile("^Inbox")).click()
    expect(page.get_by_role("heading", level=1, name="Inbox")).to_be_visible()
    check.accessibility()
    screenshot(page, "inbox", device)
    page.get_by_role("link", name=re.compile(f"Maëlys {last}")).click()

    expect(page.get_by_text("Is my ring ready to collect?")).to_be_visible()
    expect(page.locator("#thread-status")).to_contain_text("Needs reply")  # opening it marked it read
    check.accessibility()
    page.get_by_label("Reply from my phone").check()
    page.get_by_label("Message", exact=True).fill("Yes, it is ready. See you Saturday!")
    page.get_by_role("button", name="Send reply").click()
    opened = page.get_by_role("link", name="Open it")
    expect(opened).to_be_visible()
    assert opened.get_attribute("href").startswith(f"sms:{e164}?body=Yes%2C%20it%20is%20ready")
    screenshot(page, "thread-handoff", device)
    page.get_by_role("button", name="Yes, sent").click()
    expect(page.locator("#thread-status")).to_contain_text("Done")
    expect(page.locator(".conv-msg-out").last).to_contain_text("See you Saturday!")
    screenshot(page, "thread", device)


def test_book_an_appointment_from_the_card(page, check, sign_in, device):
    sign_in("associate")
    last = f"Le Bihan{device.title()}"
    add_client(page, "Soazig", last, phone=PHONES[device][0])
    screenshot(page, "card", device)
    page.get_by_role("link", name="Book appointment").click()
    expect(page.get_by_role("heading", level=1, name="Book an appointment")).to_be_visible()
    today = datetime.now(ZoneInfo("Europe/Paris")).date()
    page.get_by_label("Date").fill(today.isoformat())
    page.get_by_label("Start").fill("22:00" if device == "tablet" else "22:45")
    page.get_by_label("Duration").select_option("30")
    page.get_by_label("Purpose").select_option("fitting")
    page.get_by_label("Notes").fill("Wedding dress, second fitting")
    check.accessibility()
    screenshot(page, "book", device)
    page.get_by_role("button", name=re.compile("^Book")).click()
    expect(page.get_by_role("heading", level=1, name=f"Soazig {last}")).to_be_visible()
    expect(page.get_by_text(re.compile("Fitting with Soazig .* booked"))).to_be_visible()

    page.goto("/today")
    appointments = page.get_by_role("region", name="Appointments today")
    expect(appointments).to_contain_text(f"Soazig {last}")
    screenshot(page, "today", device)
    page.get_by_role("link", name="My appointments this week").click()
    expect(page.get_by_role("link", name=f"Soazig {last}")).to_be_visible()
    check.accessibility()
    screenshot(page, "week", device)
    page.goto("/appointments?view=day&who=shop")
    expect(page.get_by_role("link", name=f"Soazig {last}")).to_be_visible()
    check.accessibility()
    screenshot(page, "shop-day", device)


def test_book_an_appointment_from_today(page, check, sign_in, device):
    sign_in("associate")
    last = f"Guivarc'h{device.title()}"
    add_client(page, "Gwenola", last, phone=PHONES[device][0])
    page.goto("/today")
    page.get_by_role("link", name="Book", exact=True).click()
    expect(page.get_by_role("heading", level=1, name="Book an appointment")).to_be_visible()
    page.get_by_label("Client", exact=True).fill(f"Gwenola {last}")
    book = page.get_by_role("link", name=f"Book Gwenola {last}")
    expect(book).to_be_visible()
    check.accessibility()
    screenshot(page, "book-pick-client", device)
    book.click()
    expect(page.get_by_text(f"Gwenola {last}", exact=True)).to_be_visible()
    page.get_by_label("Date").fill(datetime.now(ZoneInfo("Europe/Paris")).date().isoformat())
    page.get_by_label("Start").fill("21:00" if device == "tablet" else "21:30")
    page.get_by_label("Purpose").select_option("consultation")
    screenshot(page, "book-from-today", device)
    page.get_by_role("button", name=re.compile("^Book")).click()

    # Saving goes back to Today, where the appointment now shows.
    expect(page.get_by_role("heading", level=1, name="Today")).to_be_visible()
    expect(page.get_by_text(re.compile(f"Consultation with Gwenola {last} booked"))).to_be_visible()
    expect(page.get_by_role("region", name="Appointments today")).to_contain_text(f"Gwenola {last}")
    check.accessibility()
    screenshot(page, "today-after-booking", device)
    page.get_by_role("link", name="My appointments this week").click()
    expect(page.get_by_role("link", name=f"Gwenola {last}")).to_be_visible()


def test_book_an_appointment_from_a_today_row(page, check, sign_in, worker, device):
    from test_browser_reminders import add_date_today

    sign_in("associate2")
    name = f"Maiwenn Kerbrat{device.title()}"
    add_client(page, *name.split(), phone=PHONES[device][1])
    add_date_today(page, "birthday")
    worker.flask("reminders", "run")

    page.goto("/today")
    row = page.get_by_role("listitem").filter(has=page.get_by_role("link", name=name, exact=True))
    expect(row).to_have_count(1)
    screenshot(page, "today-row-book", device)
    if device == "phone":  # a phone row keeps its secondary actions in the row's menu
        row.locator("summary").click()
    row.get_by_role("link", name=re.compile("^Book appointment")).click()
    expect(page.get_by_role("heading", level=1, name="Book an appointment")).to_be_visible()
    page.get_by_label("Date").fill(datetime.now(ZoneInfo("Europe/Paris")).date().isoformat())
    page.get_by_label("Start").fill("20:00" if device == "tablet" else "20:30")
    page.get_by_role("button", name=re.compile("^Book")).click()
    expect(page.get_by_role("heading", level=1, name="Today")).to_be_visible()
    expect(page.get_by_role("region", name="Appointments today")).to_contain_text(name)
    check.accessibility()
    page.get_by_role("link", name="My appointments this week").click()
    expect(page.get_by_role("link", name=name)).to_be_visible()
