"""The shop's clock (zone, now, today), its pick lists of staff, and the role checks."""
from datetime import date, datetime, timezone

import pytest
from flask import Flask

from clientbook.extensions import db
from clientbook.models import Role, Shop, User
from clientbook.roles import manager_required, owner_required
from clientbook.shop import as_shop_time, current_shop, shop_now, shop_today, shop_zone
from clientbook.staff import active_staff, staff_roster
from tests.conftest import make_shop


@pytest.mark.parametrize("now_utc, tz, expected", [
    # Kiritimati is UTC+14: already tomorrow there at 10:00 UTC
    (datetime(2026, 12, 31, 10, 0), "Pacific/Kiritimati", date(2027, 1, 1)),
    (datetime(2026, 12, 31, 9, 59), "Pacific/Kiritimati", date(2026, 12, 31)),
    # Pago Pago is UTC-11: still yesterday at 10:00 UTC
    (datetime(2027, 1, 1, 10, 0), "Pacific/Pago_Pago", date(2026, 12, 31)),
    (datetime(2027, 1, 1, 11, 0), "Pacific/Pago_Pago", date(2027, 1, 1)),
    # Paris around the spring DST change (UTC+1 -> UTC+2 on 29 March 2026)
    (datetime(2026, 3, 28, 23, 30), "Europe/Paris", date(2026, 3, 29)),
    (datetime(2026, 3, 29, 21, 59), "Europe/Paris", date(2026, 3, 29)),
    (datetime(2026, 3, 29, 22, 0), "Europe/Paris", date(2026, 3, 30)),
    # an unknown zone name (hand-edited database) falls back to UTC rather than failing
    (datetime(2026, 3, 29, 23, 30), "Mars/Olympus", date(2026, 3, 29)),
])
def test_shop_today(app, now_utc, tz, expected):
    with app.app_context():
        make_shop(timezone=tz)
        assert shop_today(now_utc) == expected
        assert shop_now(now_utc).date() == expected
        assert shop_now(now_utc).utcoffset() == shop_zone().utcoffset(now_utc)


def test_now_is_aware_and_in_the_shop_zone(app):
    with app.app_context():
        make_shop(timezone="Asia/Tokyo")
        now = shop_now()
        assert now.tzinfo is not None and str(now.tzinfo) == "Asia/Tokyo"
        assert abs(now.astimezone(timezone.utc).replace(tzinfo=None) - datetime.utcnow()).total_seconds() < 5
        assert as_shop_time(datetime(2026, 1, 1, 15, 0)) == datetime(2026, 1, 2, 0, 0, tzinfo=shop_zone())


def test_before_set_up_the_clock_is_utc_and_the_shop_appears_once_created(app):
    with app.test_request_context("/"):
        assert current_shop() is None
        assert str(shop_zone()) == "UTC"
        make_shop(timezone="Pacific/Kiritimati")
        assert current_shop() is not None and str(shop_zone()) == "Pacific/Kiritimati"


def test_one_today_for_a_whole_request(app):
    with app.test_request_context("/"):
        make_shop()
        first = shop_today()
        db.session.query(Shop).one().timezone = "Pacific/Kiritimati"  # would move the day for half of Earth
        assert shop_today() == first


def test_active_staff_is_everyone_who_can_sign_in_by_name(app, shop):
    with app.app_context():
        db.session.get(User, shop["manager"]).active = False
        db.session.commit()
        assert [u.name for u in active_staff()] == ["Ada Associate", "Bea Associate", "Olivia Owner"]
        assert [u.name for u in staff_roster()] == ["Ada Associate", "Bea Associate", "Olivia Owner", "Max Manager"]


@pytest.fixture
def guarded(app):
    @app.get("/test/manager")
    @manager_required
    def manager_page():
        return "manager page"

    @app.get("/test/owner")
    @owner_required
    def owner_page():
        return "owner page"

    return app


@pytest.mark.parametrize("who, manager_status, owner_status", [
    ("owner", 200, 200), ("manager", 200, 403), ("associate", 403, 403),
])
def test_roles(guarded: Flask, client, auth, who, manager_status, owner_status):
    auth.login(who)
    assert client.get("/test/manager").status_code == manager_status
    assert client.get("/test/owner").status_code == owner_status


def test_roles_send_strangers_to_sign_in(guarded: Flask, client, shop):
    response = client.get("/test/manager")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
