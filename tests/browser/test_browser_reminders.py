"""The Today list: dates turn into reminders overnight; the associate marks one done and snoozes another."""
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from browser_kit import add_client


def add_date_today(page, occasion: str) -> None:
    today = datetime.now(ZoneInfo("Europe/Paris")).date()  # the shop's day
    page.get_by_role("link", name="Add an important date").click()
    dates = page.get_by_role("region", name="Important dates")
    dates.get_by_label("Occasion", exact=True).select_option(occasion)
    dates.get_by_label("Day", exact=True).fill(str(today.day))
    dates.get_by_label("Month", exact=True).select_option(str(today.month))
    dates.get_by_role("button", name="Add date").click()
    expect(page.get_by_role("region", name="Important dates").get_by_text(occasion.title(), exact=True)).to_be_visible()


def test_work_the_today_list(page, check, sign_in, worker, device):
    sign_in("associate2")
    name = f"Clothilde Aubriot{device.title()}"
    add_client(page, *name.split(), phone="+33 6 98 76 54 32")
    add_date_today(page, "birthday")
    add_date_today(page, "anniversary")
    worker.flask("reminders", "run")

    page.get_by_role("navigation", name="Main").get_by_role("link", name=re.compile("^Today")).click()
    expect(page.get_by_role("heading", level=1, name="Today")).to_be_visible()
    due_today = page.get_by_role("region", name=re.compile("^Today"))
    # one row for the client, the two reasons inside it
    client_rows = due_today.get_by_role("listitem").filter(has=page.get_by_role("link", name=name, exact=True))
    expect(client_rows).to_have_count(1)
    reasons = client_rows.locator("li.rem-row")
    birthday, anniversary = reasons.filter(has_text="birthday"), reasons.filter(has_text="anniversary")
    expect(birthday).to_have_count(1)
    expect(anniversary).to_have_count(1)
    check.accessibility()

    def action(row, name):
        """On a phone the row's secondary actions sit in its menu: open it first."""
        if device == "phone":
            row.locator("summary").click()
        row.get_by_role("button", name=name).click()

    action(birthday, "Done")
    expect(birthday.get_by_role("group", name=re.compile("How did you reach"))).to_be_visible()
    check.accessibility()
    birthday.get_by_role("button", name="Texted").click()
    expect(birthday.get_by_role("status")).to_have_text(re.compile(r"Done · Texted"))
    expect(birthday.get_by_role("button", name="Undo")).to_be_visible()

    action(anniversary, "Snooze")
    anniversary.get_by_role("button", name="Tomorrow").click()
    expect(anniversary).to_contain_text("Snoozed until")
    check.full_page()

    # A fresh look: both have left today's list, one done, the other back tomorrow.
    page.reload()
    expect(page.get_by_role("heading", level=1, name="Today")).to_be_visible()
    expect(client_rows).to_have_count(0)
    check.accessibility()
