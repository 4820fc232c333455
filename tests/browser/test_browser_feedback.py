"""htmx tells people what is happening: the button waits while its request runs, a slow request
shows a bar, and a save that fails never looks saved (static/js/htmx-feedback.js)."""
import re
import threading

from playwright.sync_api import expect

from browser_kit import add_client

SCREENSHOTS = "test-output/screens"


def test_a_slow_save_disables_its_button_and_shows_progress(page, check, sign_in, device):
    sign_in("associate")
    add_client(page, "Apolline", f"Patience{device.title()}")
    release = threading.Event()

    def hold(route):
        release.wait(5)  # the server's answer arrives only once the busy state has been checked
        route.continue_()

    page.route(re.compile(r".*/notes$"), hold)
    page.get_by_label("Note").fill("Wants the long chain.")
    button = page.get_by_role("button", name="Add note")
    button.click()
    expect(button).to_be_disabled()
    expect(page.locator("html.is-loading")).to_have_count(1)
    release.set()
    expect(page.get_by_role("region", name="History").get_by_text("Wants the long chain.")).to_be_visible()
    expect(page.get_by_role("button", name="Add note")).to_be_enabled()
    expect(page.locator("html.is-loading")).to_have_count(0)
    page.unroute(re.compile(r".*/notes$"))


def test_a_failed_save_says_so_and_keeps_what_was_typed(page, check, sign_in, device):
    sign_in("associate")
    add_client(page, "Apolline", f"Panne{device.title()}")
    page.route(re.compile(r".*/notes$"), lambda route: route.abort())
    page.get_by_label("Note").fill("Call back on Friday.")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator(".form-problem")).to_contain_text("no connection")
    expect(page.get_by_label("Note")).to_have_value("Call back on Friday.")
    expect(page.get_by_role("button", name="Add note")).to_be_enabled()
    page.screenshot(path=f"{SCREENSHOTS}/save-failed-{device}.png", full_page=True, caret="initial")
    page.unroute(re.compile(r".*/notes$"))
    page.route(re.compile(r".*/notes$"), lambda route: route.fulfill(status=500, body="oops"))
    page.get_by_role("button", name="Add note").click()
    expect(page.locator(".form-problem")).to_contain_text("Not saved (error 500)")
    page.unroute(re.compile(r".*/notes$"))
    page.get_by_role("button", name="Add note").click()
    expect(page.get_by_role("region", name="History").get_by_text("Call back on Friday.")).to_be_visible()
    expect(page.locator(".form-problem")).to_have_count(0)
    check.accessibility()
