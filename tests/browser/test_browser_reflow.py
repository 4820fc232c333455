"""Pages fit a phone's width whatever the data: real email addresses are long."""
import pytest
from playwright.sync_api import expect

from browser_kit import PASSWORD, csrf_token_in


@pytest.fixture
def app_server(blank_server):
    blank_server.set_up_shop()
    session = blank_server.http_session("owner")
    token = csrf_token_in(session.get(blank_server.url + "/staff").text)
    response = session.post(blank_server.url + "/staff", allow_redirects=False, data={
        "csrf_token": token, "name": "Alexandra Dubois-Lefebvre", "email": "alexandra.dubois.lefebvre@gmail.com",
        "role": "associate", "password": PASSWORD})
    assert response.status_code == 303
    return blank_server


@pytest.mark.parametrize("device", ["phone"], indirect=True)
def test_staff_list_with_long_emails_fits_a_phone(page, check, sign_in):
    sign_in("owner")
    page.goto("/staff")
    expect(page.get_by_text("alexandra.dubois.lefebvre@gmail.com")).to_be_visible()
    check.fits_width()
