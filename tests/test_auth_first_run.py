"""First run: set-up defaults from the browser, `flask setup-shop`, the welcome page, home-screen install."""
from __future__ import annotations

import json
import struct
import unicodedata
from pathlib import Path

import pytest
import sqlalchemy as sa

from clientbook.extensions import db
from clientbook.models import Role, Shop, User
from tests.conftest import PASSWORD
from tests.support.html import one, select

STATIC = Path(__file__).resolve().parent.parent / "static"


def _selected_value(page: str, name: str) -> str:
    return one(page, f'select[name="{name}"] option[selected]')["value"]


@pytest.mark.parametrize("languages, country, currency, zone", [
    ("fr-BE,fr;q=0.9,en;q=0.8", "BE", "EUR", "Europe/Brussels"),
    ("en-CA,en;q=0.9", "CA", "CAD", "America/Toronto"),
    ("de", "DE", "EUR", "Europe/Berlin"),
    ("en-GB", "GB", "GBP", "Europe/London"),
    ("ja-JP", "JP", "JPY", "Asia/Tokyo"),
])
def test_set_up_defaults_follow_the_browser_language(client, languages, country, currency, zone):
    page = client.get("/setup", headers={"Accept-Language": languages}).get_data(as_text=True)
    assert _selected_value(page, "country") == country
    assert _selected_value(page, "currency") == currency
    assert _selected_value(page, "timezone") == zone


def test_countries_are_listed_by_name(client):
    page = client.get("/setup").get_data(as_text=True)
    labels = [option.text for option in select(page, 'select[name="country"] option')]
    assert len(labels) > 200
    assert labels[0].startswith("Afghanistan")
    assert "France (+33)" in labels and "Belgium (+32)" in labels

    def folded(text):
        return "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))

    assert labels == sorted(labels, key=folded)


def test_the_time_zone_is_filled_by_a_static_script_not_inline(client):
    page = client.get("/setup").get_data(as_text=True)
    assert select(page, 'script[src="/static/js/setup-timezone.js"]')
    assert all("src" in script for script in select(page, "script"))
    assert "Intl.DateTimeFormat" in (STATIC / "js" / "setup-timezone.js").read_text()


@pytest.mark.parametrize("who, count, steps", [("owner", "Four ways", 4), ("manager", "Two ways", 2),
                                               ("associate", "One way", 1)])
def test_the_welcome_page_counts_its_steps(client, auth, who, count, steps):
    auth.login(who)
    page = client.get("/settings/welcome").get_data(as_text=True)
    assert f"{count} to begin" in page
    assert len(select(page, "ol.steps li")) == steps


# ---- flask setup-shop -------------------------------------------------------------------------

ARGS = ["setup-shop", "--shop-name", "Atelier Lune", "--country", "be", "--timezone", "Europe/Brussels",
        "--currency", "eur", "--owner-name", "Léa Lune", "--owner-email", "Lea@Atelier-Lune.be"]


def test_setup_shop_creates_the_shop_and_owner_with_the_password_from_stdin(runner, app, client):
    result = runner.invoke(args=ARGS, input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    with app.app_context():
        shop = db.session.scalar(sa.select(Shop))
        owner = db.session.scalar(sa.select(User))
        assert (shop.name, shop.country, shop.timezone, shop.currency) == ("Atelier Lune", "BE", "Europe/Brussels", "EUR")
        assert owner.role == Role.OWNER and owner.email == "lea@atelier-lune.be"
    response = client.post("/login", data={"email": "lea@atelier-lune.be", "password": PASSWORD})
    assert response.status_code == 302
    # Once only.
    again = runner.invoke(args=ARGS, input=PASSWORD + "\n")
    assert again.exit_code != 0 and "already set up" in again.output


@pytest.mark.parametrize("change, field, message", [
    ({}, "Password", "too easy to guess"),
    ({"--country": "XX"}, "Country", "Not a valid choice"),
    ({"--timezone": "Mars/Olympus"}, "Time zone", "Not a valid choice"),
    ({"--owner-email": "not-an-email"}, "Your email", "Invalid email"),
    ({"--shop-name": "   "}, "Shop name", "Give the shop a name"),
])
def test_setup_shop_validates_like_the_page_and_saves_nothing(runner, app, client, change, field, message):
    args = list(ARGS)
    for option, value in change.items():
        args[args.index(option) + 1] = value
    password = "password1234" if not change else PASSWORD
    result = runner.invoke(args=args, input=password + "\n")
    assert result.exit_code != 0
    assert f"{field}:" in result.output and message in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Shop)) == 0
    # The page says the same thing about the same input.
    values = {"shop_name": args[2], "country": args[4].upper(), "timezone": args[6], "currency": "EUR",
              "owner_name": args[10], "email": args[12], "password": password}
    page = client.post("/setup", data=values)
    assert page.status_code == 422 and message in page.get_data(as_text=True)


def test_setup_shop_never_takes_the_password_as_an_argument(runner):
    result = runner.invoke(args=ARGS + ["--password", PASSWORD])
    assert result.exit_code != 0 and "No such option" in result.output


# ---- home screen and offline --------------------------------------------------------------------

def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_the_app_installs_to_a_home_screen(client, auth):
    auth.login()
    page = client.get("/today").get_data(as_text=True)
    href = one(page, 'link[rel="manifest"]')["href"]
    assert one(page, 'meta[name="theme-color"]')["content"] == "#1f4d46"
    response = client.get(href)
    assert response.status_code == 200 and response.mimetype == "application/manifest+json"
    manifest = json.loads(response.get_data(as_text=True))
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/" and manifest["theme_color"]
    sizes = set()
    for icon in manifest["icons"]:
        assert client.get(icon["src"]).status_code == 200
        width, height = _png_size(STATIC / icon["src"].removeprefix("/static/"))
        assert icon["sizes"] == f"{width}x{height}" and icon["type"] == "image/png"
        sizes.add((width, icon.get("purpose", "any")))
    assert {(192, "any"), (512, "any"), (512, "maskable")} <= sizes


def test_the_service_worker_is_served_for_the_whole_app_even_before_set_up(client):
    response = client.get("/sw.js")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert "no-cache" in response.headers["Cache-Control"]
    script = response.get_data(as_text=True)
    assert "/static/offline.html" in script
    offline = client.get("/static/offline.html").get_data(as_text=True)
    assert "No connection" in offline and "<script" not in offline
