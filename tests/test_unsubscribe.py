"""The login-free, CSRF-exempt unsubscribe endpoint (the SMTP round trip is in test_outbox.py)."""
from __future__ import annotations

import sqlalchemy as sa

from clientbook.extensions import db
from clientbook.messaging import consent, outbox
from clientbook.messaging.links import read_unsubscribe_token, unsubscribe_token
from clientbook.models import Client, Suppression
from tests.support.messaging import make_client


def test_token_round_trip_and_tampering(app):
    with app.app_context():
        token = unsubscribe_token(7, consent.address_hash("email", "a@example.com"))
        assert read_unsubscribe_token(token)["c"] == 7
        assert read_unsubscribe_token(token[:-2] + ("AA" if not token.endswith("AA") else "BB")) is None
        app.config["SECRET_KEY"] = "another-key"
        assert read_unsubscribe_token(token) is None


def test_get_only_asks_and_post_unsubscribes_with_csrf_on(app, shop):
    app.config["WTF_CSRF_ENABLED"] = True
    with app.app_context():
        camille = make_client()
        token = unsubscribe_token(camille.id, consent.address_hash("email", camille.email))
        camille_id = camille.id
    anonymous = app.test_client()
    page = anonymous.get(f"/u/{token}")
    assert page.status_code == 200 and b"Stop emails from Maison Perle?" in page.data
    with app.app_context():
        assert db.session.get(Client, camille_id).email_opt_in is True
    # Mail apps post "List-Unsubscribe=One-Click" with no cookie and no token.
    done = anonymous.post(f"/u/{token}", data="List-Unsubscribe=One-Click",
                          content_type="application/x-www-form-urlencoded")
    assert done.status_code == 200 and b"You are unsubscribed" in done.data
    assert anonymous.post(f"/u/{token}").status_code == 200  # twice is fine
    with app.app_context():
        camille = db.session.get(Client, camille_id)
        assert camille.email_opt_in is False and camille.email_opt_in_source == "Unsubscribe link"
        assert camille.sms_opt_in is True
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Suppression)) == 1


def test_unsubscribe_after_the_client_was_deleted_still_blocks_the_address(app, shop):
    with app.app_context():
        camille = make_client()
        token = unsubscribe_token(camille.id, consent.address_hash("email", camille.email))
        db.session.delete(camille)
        db.session.commit()
    assert app.test_client().post(f"/u/{token}").status_code == 200
    with app.app_context():
        newcomer = make_client(email="CAMILLE@example.com".lower())
        assert consent.why_not(newcomer, "email") == "This address opted out."
        message, _ = outbox.queue_message(client=newcomer, channel="email", body="Hi", to_address=newcomer.email)
        db.session.commit()
        assert outbox.deliver(message.id) == "failed"
