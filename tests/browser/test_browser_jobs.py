"""Jobs at the counter: take in a repair with a photo from the card, print its ticket, move it to
Ready, message the client, mark it collected; turn a wish into an opportunity and win it into a purchase."""
import io
import re
from datetime import datetime, timedelta
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from playwright.sync_api import expect

from browser_kit import DEFUSE_AUTO_OPEN, add_client  # hand-off links are checked, never followed

PHONES = {"tablet": "+33 6 11 22 33 44", "phone": "+33 6 11 22 33 55"}


@pytest.fixture
def page(page):
    page.add_init_script(DEFUSE_AUTO_OPEN)
    return page


def camera_photo(tmp_path):
    """A photo as a phone camera would send it: JPEG with EXIF."""
    image = Image.new("RGB", (1200, 900), (200, 180, 150))
    image.paste((212, 175, 55), (400, 300, 800, 600))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    path = tmp_path / "IMG_2041.jpg"
    image.save(path, "JPEG", exif=exif)
    return path


def stage_button(page, name):
    return page.get_by_role("region", name="Stage").get_by_role("button", name=re.compile(f"^{name}"))


def test_take_in_a_repair_print_it_tell_the_client_and_hand_it_back(page, check, sign_in, device, tmp_path):
    sign_in("associate")
    last = f"Quéré{device.title()}"
    add_client(page, "Maëlle", last, phone=PHONES[device], consent="Asked in store")

    # From the card: New job sits beside Add purchase (on a phone, Purchase is in the bottom bar).
    quick = page.locator("nav.cl-quick")
    if device == "tablet":
        expect(quick.get_by_role("link", name="Add purchase")).to_be_visible()
    quick.get_by_role("link", name="New job").click()
    expect(page.get_by_role("heading", level=1, name=re.compile("^New job for Maëlle"))).to_be_visible()
    photo_input = page.locator("input[type=file][name=photo]")
    expect(photo_input).to_have_attribute("accept", "image/*")
    expect(photo_input).to_have_attribute("capture", re.compile(".*"))
    check.accessibility()
    page.get_by_label("Kind of job").select_option(label="Repair")
    page.get_by_label("What", exact=True).fill("Resize ring to 6½")
    due = datetime.now(ZoneInfo("Europe/Paris")).date() + timedelta(days=7)
    page.get_by_label("Due", exact=True).fill(due.isoformat())
    page.get_by_label("Estimate / value").fill("80")
    page.get_by_label("Deposit taken").fill("20")
    photo_input.set_input_files(str(camera_photo(tmp_path)))
    page.get_by_role("button", name="Take in").click()

    # The job page: stages as large buttons, the intake photo, the ticket number.
    expect(page.get_by_role("heading", level=1, name="Resize ring to 6½")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="taken in")).to_be_visible()
    ticket = page.locator(".job-head .job-ticket").inner_text()
    assert re.fullmatch(r"R-[2-9A-Z]{5}", ticket), ticket
    expect(stage_button(page, "Received")).to_be_disabled()
    photo = page.get_by_role("img", name=re.compile("Photo 1 of Resize ring"))
    photo.scroll_into_view_if_needed()
    expect(photo).to_be_visible()
    page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=photo.element_handle())
    check.accessibility()

    # The printable ticket and tag, with a QR code that opens this job.
    page.get_by_role("link", name="Print ticket").click()
    job_ticket = page.get_by_role("article", name="Job ticket")
    expect(job_ticket).to_contain_text(ticket)
    expect(job_ticket).to_contain_text("Maëlle " + last)
    expect(job_ticket).to_contain_text(re.compile(r"20[.,]00"))  # the deposit, in the shop's money format
    expect(page.get_by_role("img", name=re.compile("opens this job"))).to_be_visible()
    expect(page.get_by_role("article", name="Tag for the envelope")).to_contain_text(ticket)
    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="Ticket")).to_be_hidden()  # the toolbar stays off paper
    expect(job_ticket).to_be_visible()
    page.emulate_media(media="screen")
    page.get_by_role("link", name="Back to the job").click()

    # Through the workshop to Ready, then one tap tells the client.
    stage_button(page, "At the workshop").click()
    expect(stage_button(page, "At the workshop")).to_be_disabled()
    stage_button(page, "Ready to collect").click()
    expect(stage_button(page, "Ready to collect")).to_be_disabled()
    ready = page.locator("#ready-message")
    expect(ready).to_contain_text("it's ready")
    check.accessibility()
    ready.get_by_role("button", name="Text", exact=True).click()
    opened = page.get_by_role("link", name="Open Messages")
    expect(opened).to_be_visible()
    body = unquote(opened.get_attribute("href"))
    assert "Resize ring to 6½" in body and ticket in body and re.search(r"60[.,]00", body), body
    page.go_back()
    page.reload()

    # Collected: the job closes, and the card's history tells the story.
    stage_button(page, "Collected").click()
    expect(page.get_by_role("region", name=re.compile("^Stage"))).to_contain_text("Closed")
    page.get_by_role("link", name="Maëlle " + last).first.click()
    history = page.get_by_role("region", name="History")
    expect(history).to_contain_text("moved to Collected")
    expect(history).to_contain_text("moved to Ready to collect")
    expect(page.get_by_role("region", name=re.compile("^Jobs"))).to_contain_text("Collected")
    check.accessibility()


def test_wish_becomes_an_opportunity_and_is_won_into_a_purchase(page, check, sign_in, device):
    sign_in("associate")
    add_client(page, "Søren", f"Halvorsen{device.title()}")
    page.get_by_role("region", name="Wish list").get_by_role("link", name="Add to the wish list").click()
    wishes = page.get_by_role("region", name="Wish list")
    wishes.get_by_label("Wish", exact=True).fill("Omega Seamaster 300")
    wishes.get_by_role("button", name="Add to wish list").click()

    jobs = page.get_by_role("region", name=re.compile("^Jobs"))
    jobs.get_by_role("button", name="Make Omega Seamaster 300 a sales opportunity").click()
    expect(page.get_by_role("heading", level=1, name="Omega Seamaster 300")).to_be_visible()
    expect(page.locator(".job-kind")).to_contain_text("Sales opportunity")
    expect(stage_button(page, "Interested")).to_be_disabled()
    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Estimate / value").fill("5200")
    page.get_by_role("button", name="Save").click()

    stage_button(page, "Won").click()
    page.get_by_role("link", name="Add to the card as a purchase").click()
    expect(page.get_by_label("Item")).to_have_value("Omega Seamaster 300")
    expect(page.get_by_label("Amount")).to_have_value("5200,00")
    check.accessibility()
    page.get_by_role("button", name="Save purchase").click()

    expect(page.get_by_role("heading", level=1, name=re.compile("^Søren"))).to_be_visible()
    expect(page.get_by_role("region", name="Purchase summary")).to_contain_text(re.compile(r"5[\s,.\u202f]?200[.,]00"))
    expect(page.get_by_role("region", name="History")).to_contain_text("Omega Seamaster 300")

    # The board shows the won opportunity with its value total.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Jobs").click()
    page.get_by_role("navigation", name="Kinds of job").get_by_role("link", name="Sales opportunity").click()
    won = page.get_by_role("region", name=re.compile("^Won"))
    expect(won).to_contain_text("Omega Seamaster 300")
    check.accessibility()
