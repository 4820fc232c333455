"""The demo book: realistic, deterministic, refuses a book that has clients."""
import sqlalchemy as sa

from clientbook.extensions import db
from clientbook.models import (
    Client, ImportantDate, Preference, PreferenceKey, Purchase, PurchaseItem, WishlistItem,
)
from clientbook.settings import add_default_preference_keys


def count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_seed_demo_cli(app, shop, runner):
    with app.app_context():
        add_default_preference_keys()
        db.session.commit()
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "Demo book loaded: 60 clients" in result.output
    with app.app_context():
        assert count(Client) == 60
        names = db.session.scalars(sa.select(Client.first_name)).all()
        assert any(ch in "".join(names) for ch in "éëïøö")
        assert count(Client, Client.assigned_to_id.is_not(None)) > 30
        assert count(Purchase) > 60 and count(PurchaseItem) >= count(Purchase)
        categories = set(db.session.scalars(sa.select(PurchaseItem.category)))
        assert categories == {"Rings", "Necklaces", "Earrings", "Watches", "Repairs"}
        assert count(ImportantDate, ImportantDate.year.is_(None)) > 5
        assert count(ImportantDate, ImportantDate.for_whom.like("%wife%") | ImportantDate.for_whom.like("%husband%")) > 0
        assert count(Preference) > 60 and count(WishlistItem) > 5
        ring_size = db.session.scalar(sa.select(PreferenceKey).where(PreferenceKey.name == "Ring size"))
        assert count(Preference, Preference.key_id == ring_size.id) > 0
        phones = db.session.scalars(sa.select(Client.phone).where(Client.phone.is_not(None))).all()
        assert phones and all(p.startswith("+33") for p in phones)
        first_names = db.session.scalars(sa.select(Client.email).order_by(Client.id)).all()

    refused = runner.invoke(args=["seed-demo"])
    assert refused.exit_code != 0 and "already has clients" in refused.output and "--force" in refused.output
    forced = runner.invoke(args=["seed-demo", "--force"])
    assert forced.exit_code == 0
    with app.app_context():
        assert count(Client) == 120
        # Deterministic: the same seed makes the same book.
        assert db.session.scalars(sa.select(Client.email).order_by(Client.id).limit(60)).all() == first_names


def test_some_dates_fall_in_the_next_two_weeks(app, shop, runner):
    from datetime import date, timedelta

    runner.invoke(args=["seed-demo"])
    with app.app_context():
        today = date.today()
        soon = {((today + timedelta(days=d)).month, (today + timedelta(days=d)).day) for d in range(0, 15)}
        dates = db.session.execute(sa.select(ImportantDate.month, ImportantDate.day)).all()
        assert sum(1 for d in dates if tuple(d) in soon) >= 10


def test_seed_demo_endpoint_is_owner_only(client, auth, app):
    auth.login("manager")
    assert client.post("/demo").status_code == 403
    auth.logout()
    auth.login("owner")
    response = client.post("/demo")
    assert response.status_code == 303
    with app.app_context():
        assert count(Client) == 60
    again = client.post("/demo", follow_redirects=True)
    assert b"already has clients" in again.data
    with app.app_context():
        assert count(Client) == 60


def test_demo_has_conversations_and_appointments(app, shop, runner):
    from datetime import timedelta

    from clientbook.appointments.booking import to_local
    from clientbook.shop import shop_today, shop_zone
    from clientbook.models import Appointment, Message, Thread

    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context():
        assert count(Thread, Thread.state == "unread") >= 3
        assert count(Thread, Thread.state == "done") >= 3
        assert count(Thread, Thread.client_id.is_(None)) == 2  # replies from unknown numbers
        assert count(Message, Message.direction == "in") >= 10
        today = shop_today()
        days = {to_local(a.starts_at, shop_zone()).date() for a in db.session.scalars(sa.select(Appointment))}
        assert len(days) >= 5 and all(today <= d < today + timedelta(days=14) for d in days)
