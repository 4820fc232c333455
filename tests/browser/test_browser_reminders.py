"""The Today list: birthdays turn into reminders overnight; the associate marks them done or snoozes them."""
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from browser_kit import add_client


def add_birthday_today(page, check) -> None:
    today = datetime.now(ZoneInfo("Europe/Paris")).date()  # the shop's day
    page.get_by_role("link", name="Add an important date").click()
    dates = page.get_by_role("region", name="Important dates")
    dates.get_by_label("Occasion", exact=True).select_option("birthday")
    dates.get_by_label("Day", exact=True).fill(str(today.day))
    dates.get_by_label("Month", exact=True).select_option(str(today.month))
    check.accessibility()
    dates.get_by_role("button", name="Add date").click()
    expect(page.get_by_role("region", name="Important dates").get_by_text("Birthday", exact=True)).to_be_visible()


def reminder_row(scope, name: str):
    """The reminder row about this client, within a page or a part of it."""
    page = getattr(scope, "page", scope)
    return scope.get_by_role("listitem").filter(has=page.get_by_role("link", name=name, exact=True))


def test_work_the_today_list(page, check, sign_in, worker, device):
    sign_in("associate2")
    done_name, snooze_name = f"Clothilde Aubriot{device.title()}", f"Evariste Aubriot{device.title()}"
    for name in (done_name, snooze_name):
        add_client(page, *name.split(), phone="+33 6 98 76 54 32")
        add_birthday_today(page, check)
    worker.flask("reminders", "run")

    page.get_by_role("navigation", name="Main").get_by_role("link", name=re.compile("^Today")).click()
    expect(page.get_by_role("heading", level=1, name="Today")).to_be_visible()
    today_group = page.get_by_role("region", name=re.compile("^Today"))
    expect(reminder_row(today_group, done_name)).to_contain_text("birthday")
    check.accessibility()

    row = reminder_row(page, done_name)
    row.get_by_role("button", name="Done").click()
    expect(row.get_by_role("group", name=re.compile("How did you reach"))).to_be_visible()
    check.accessibility()
    row.get_by_role("button", name="Texted").click()
    expect(row.get_by_role("status")).to_have_text(re.compile(r"Done · Texted"))
    expect(row.get_by_role("button", name="Undo")).to_be_visible()

    row = reminder_row(page, snooze_name)
    row.get_by_role("button", name="Snooze").click()
    row.get_by_role("button", name="Tomorrow").click()
    expect(row).to_contain_text("Snoozed until")
    check.full_page()

    # A fresh look: the done one has left the list, the snoozed one waits for tomorrow.
    page.reload()
    expect(reminder_row(page, done_name)).to_have_count(0)
    expect(reminder_row(page.get_by_role("region", name=re.compile("^Today")), snooze_name)).to_have_count(0)
    check.accessibility()
