"""A job on Today, on a tablet and a phone: open its snooze choices in place, snooze it, undo, snooze it
again, and it is gone from Today when the page is loaded again."""
import re

from playwright.sync_api import expect

from browser_kit import ROOT

SHOTS = ROOT / "test-output"

SEED = """
from datetime import timedelta
import sqlalchemy as sa
from clientbook import create_app
from clientbook.extensions import db
from clientbook.jobs.records import active_job_types, create_job
from clientbook.models import Client, Job, User
from clientbook.shop import shop_today
app = create_app()
with app.app_context():
    ada = db.session.scalar(sa.select(User).where(User.email == "ada@maison-perle.com"))
    for title in ("Snoozable clasp tablet", "Snoozable clasp phone"):
        if db.session.scalar(sa.select(Job.id).where(Job.title == title)) is None:
            client = Client(first_name="Clara", last_name="Todayjobs", assigned_to_id=ada.id)
            db.session.add(client)
            db.session.flush()
            repair = next(t for t in active_job_types() if t.name == "Repair")
            create_job(client, repair, title=title, user=ada, assigned_to_id=ada.id,
                       due_on=shop_today() - timedelta(days=1))
    db.session.commit()
"""


def test_snooze_a_job_on_today(page, check, sign_in, device, app_server):
    app_server.python(SEED)
    sign_in("associate")
    page.goto("/today")
    title = f"Snoozable clasp {device}"
    row = page.locator("li.job-today-row").filter(has_text=title)
    expect(row).to_contain_text("Overdue")
    check.accessibility()
    check.touch_targets()
    page.screenshot(path=str(SHOTS / f"today-jobs-{device}.png"), full_page=False)

    row.get_by_role("link", name=f"Snooze {title}").click()
    choices = row.get_by_role("group", name="Bring it back")
    expect(choices).to_be_visible()
    expect(choices.get_by_role("button")).to_have_text(["Tomorrow", "Next week"])
    expect(row.get_by_label("Pick a day")).to_be_visible()
    check.fits_width()
    page.screenshot(path=str(SHOTS / f"today-jobs-snooze-{device}.png"), full_page=False)

    choices.get_by_role("button", name="Tomorrow").click()
    expect(row.get_by_role("status")).to_contain_text(re.compile(r"Snoozed until \w{3} \d+ \w{3}"))
    row.get_by_role("button", name="Undo").click()
    expect(row.get_by_role("link", name=f"Snooze {title}")).to_be_visible()

    row.get_by_role("link", name=f"Snooze {title}").click()
    row.get_by_role("group", name="Bring it back").get_by_role("button", name="Next week").click()
    expect(row.get_by_role("status")).to_contain_text("Snoozed until")
    page.reload()
    expect(page.get_by_role("heading", level=1, name="Today")).to_be_visible()
    expect(page.locator("li.job-today-row").filter(has_text=title)).to_have_count(0)


MANAGER_SEED = """
from datetime import timedelta
import sqlalchemy as sa
from clientbook import create_app
from clientbook.extensions import db
from clientbook.jobs.records import active_job_types, create_job, move_job
from clientbook.models import Client, Job, User, utcnow
from clientbook.reminders.generation import run_generation
from clientbook.shop import shop_today
app = create_app()
with app.app_context():
    max_ = db.session.scalar(sa.select(User).where(User.email == "max@maison-perle.com"))
    if db.session.scalar(sa.select(Job.id).where(Job.title == "Ring ready for Max")) is None:
        client = Client(first_name="Mona", last_name="Todaymanager", assigned_to_id=max_.id)
        db.session.add(client)
        db.session.flush()
        repair = next(t for t in active_job_types() if t.name == "Repair")
        job = create_job(client, repair, title="Ring ready for Max", user=max_, assigned_to_id=max_.id)
        move_job(job, next(s for s in repair.stages if s.name == "Ready to collect"), max_)
        job.stage_entered_at = utcnow() - timedelta(days=3)
        create_job(client, repair, title="Watch strap due", user=max_, assigned_to_id=max_.id, due_on=shop_today())
        db.session.commit()
        run_generation(shop_today())  # the new shop's default rules, the pick-up call among them
"""


def test_a_managers_today_with_the_default_rules(page, check, sign_in, device, app_server):
    app_server.python(MANAGER_SEED)
    sign_in("manager")
    page.goto("/today")
    jobs = page.locator("section.today-jobs")
    expect(jobs.locator("li.job-today-row").filter(has_text="Ring ready for Max")).to_contain_text("Not collected")
    expect(jobs.locator("li.job-today-row").filter(has_text="Watch strap due")).to_contain_text("Due today")
    # The seeded rule "3 days after Ready to collect" has raised the pick-up call among the reminders.
    expect(page.locator("li.rem-row").filter(has_text="Call to arrange pick-up: Ring ready for Max")).to_have_count(1)
    check.accessibility()
    check.touch_targets()
    page.screenshot(path=str(SHOTS / f"today-manager-{device}.png"), full_page=True)
