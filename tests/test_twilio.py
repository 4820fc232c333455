"""SMS through Twilio's API shape, against tests/fake_twilio.py on 127.0.0.1, and Twilio's webhooks."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from clientbook.extensions import db
from clientbook.messaging import outbox
from clientbook.messaging.channels.twilio import compute_signature, valid_signature
from clientbook.models import Client, Message, Suppression
from tests.fake_twilio import twilio_signature
from tests.support.messaging import (  # noqa: F401  (fake: a fixture)
    PUBLIC, always_open, enable_channels, fake, make_client, point_at_fake_twilio,
)


@pytest.fixture
def sms_shop(app, shop, fake):
    point_at_fake_twilio(app, fake)
    with app.app_context():
        enable_channels(sms_enabled=True, sms_help_reply="Maison Perle: call us on 01 23 45 67 89. STOP to opt out.")
        always_open()
    return shop


def queue_sms(client, body="Your ring is ready, Camille.") -> int:
    message, _ = outbox.queue_message(client=client, channel="sms", body=body, to_address=client.phone)
    db.session.commit()
    return message.id


def post_signed(test_client, fake, path: str, params: dict, signature: str | None = None):
    url = PUBLIC + path
    headers = {"X-Twilio-Signature": signature} if signature is not None else fake.signed(url, params)
    return test_client.post(path, data=params, headers=headers)


# ---- signatures --------------------------------------------------------------------------------

@pytest.mark.parametrize("params", [
    {},
    {"Body": "STOP", "From": "+33612345678"},
    {"Body": "Ça va? 🎂 & more", "To": "+1", "AccountSid": "AC1", "MessageSid": "SM1"},
])
def test_signature_matches_an_independent_implementation(params):
    url = "https://shop.example.com/hooks/twilio/inbound?x=1"
    assert compute_signature("token", url, params) == twilio_signature("token", url, params)
    good = twilio_signature("token", url, params)
    listed = {key: [value] for key, value in params.items()}
    assert valid_signature("token", [url], listed, good)
    assert not valid_signature("other-token", [url], listed, good)
    assert not valid_signature("token", [url + "&y=2"], listed, good)
    assert not valid_signature("token", [url], listed, None)
    assert not valid_signature("", [url], listed, good)


def test_signature_covers_every_parameter():
    url = "https://shop.example.com/hooks/twilio/inbound"
    good = twilio_signature("token", url, {"Body": "START"})
    assert not valid_signature("token", [url], {"Body": ["STOP"]}, good)


# ---- sending -----------------------------------------------------------------------------------

def test_sms_is_sent_through_the_api(app, sms_shop, fake):
    with app.app_context():
        camille = make_client()
        message_id = queue_sms(camille)
        assert outbox.deliver(message_id) == "sent"
        message = db.session.get(Message, message_id)
        assert message.state == "sent" and message.provider_id.startswith("SM")
    [sent] = fake.messages
    assert sent["to"] == "+33612345678" and sent["from"] == "+33100000000"
    assert sent["body"] == "Your ring is ready, Camille."
    assert sent["status_callback"] == f"{PUBLIC}/hooks/twilio/status?m={message_id}"
    assert sent["idempotency_key"] == f"message:{message_id}"
    assert sent["sid"] == message.provider_id


@pytest.mark.parametrize("failure, outcome, state", [
    (429, "retry", "queued"),
    (500, "retry", "queued"),
    (503, "retry", "queued"),
    ("drop", "unknown", "unknown"),  # the request went out and the answer never came: no blind resend
])
def test_provider_errors_are_classified(app, sms_shop, fake, failure, outcome, state):
    fake.failures.append(failure)
    with app.app_context():
        message_id = queue_sms(make_client())
        assert outbox.deliver(message_id) == outcome
        assert db.session.get(Message, message_id).state == state


def test_invalid_number_fails_with_twilios_reason(app, sms_shop, fake):
    with app.app_context():
        camille = make_client()
        message, _ = outbox.queue_message(client=camille, channel="sms", body="Hi", to_address=camille.phone)
        db.session.commit()
        # The address on the card changed since: the claim notices and refuses.
        camille.phone = "+33699999999"
        db.session.commit()
        assert outbox.deliver(message.id) == "failed"
        assert "address changed" in db.session.get(Message, message.id).error
    from clientbook.messaging.channels import PermanentError
    from clientbook.messaging.channels.twilio import send_sms

    with app.app_context(), pytest.raises(PermanentError) as error:
        send_sms("0612", "Hi")
    assert "21211" in error.value.reason


def test_connection_refused_is_retried(app, sms_shop, fake):
    fake.stop()  # nothing listens any more
    with app.app_context():
        message_id = queue_sms(make_client())
        assert outbox.deliver(message_id) == "retry"


def test_slow_provider_becomes_unknown(app, sms_shop, fake):
    fake.delay = 1.5
    app.config["TWILIO_TIMEOUT"] = 0.3
    with app.app_context():
        message_id = queue_sms(make_client())
        assert outbox.deliver(message_id) == "unknown"
    assert len(fake.messages) == 1  # it did arrive: resending would have doubled it


# ---- status callbacks ------------------------------------------------------------------------------

def test_status_callback_updates_delivery(app, client, sms_shop, fake):
    with app.app_context():
        message_id = queue_sms(make_client())
        outbox.deliver(message_id)
    callback = fake.messages[0]["status_callback"]
    path = callback.removeprefix(PUBLIC)
    params = {"MessageSid": fake.messages[0]["sid"], "MessageStatus": "delivered", "AccountSid": fake.account_sid}
    assert post_signed(client, fake, path, params, signature="forged").status_code == 403
    with app.app_context():
        assert db.session.get(Message, message_id).state == "sent"
    assert post_signed(client, fake, path, params).status_code == 204
    with app.app_context():
        message = db.session.get(Message, message_id)
        assert message.state == "delivered" and message.delivered_at is not None
    # A late "sent" never moves it back.
    post_signed(client, fake, path, {**params, "MessageStatus": "sent"})
    with app.app_context():
        assert db.session.get(Message, message_id).state == "delivered"


def test_status_callback_resolves_an_unknown_message(app, client, sms_shop, fake):
    fake.failures.append("drop")
    with app.app_context():
        message_id = queue_sms(make_client())
        assert outbox.deliver(message_id) == "unknown"
    path = f"/hooks/twilio/status?m={message_id}"
    params = {"MessageSid": "SM" + "a" * 32, "MessageStatus": "delivered"}
    assert post_signed(client, fake, path, params).status_code == 204
    with app.app_context():
        message = db.session.get(Message, message_id)
        assert message.state == "delivered" and message.provider_id == "SM" + "a" * 32


def test_undelivered_status_marks_failed(app, client, sms_shop, fake):
    with app.app_context():
        message_id = queue_sms(make_client())
        outbox.deliver(message_id)
    path = f"/hooks/twilio/status?m={message_id}"
    params = {"MessageSid": fake.messages[0]["sid"], "MessageStatus": "undelivered", "ErrorCode": "30003"}
    post_signed(client, fake, path, params)
    with app.app_context():
        message = db.session.get(Message, message_id)
        assert message.state == "failed" and "30003" in message.error


# ---- inbound texts ------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, kind", [
    *[(word, "stop") for word in ("STOP", "stop", "Stop.", " STOPALL ", "UNSUBSCRIBE", "CANCEL", "END", "QUIT",
                                  "REVOKE", "OPT OUT", "opt  out", "OPTOUT")],
    *[(word, "start") for word in ("START", "start", "UNSTOP", "YES", "Yes!")],
    *[(word, "help") for word in ("HELP", "help", "INFO")],
    *[(word, None) for word in ("Stop by on Saturday?", "yes please, I'd love to", "Thanks!", "")],
])
def test_keyword_table(text, kind):
    from clientbook.messaging.webhooks import HELP_WORDS, START_WORDS, STOP_WORDS, keyword

    found = keyword(text)
    actual = "stop" if found in STOP_WORDS else "start" if found in START_WORDS else "help" if found in HELP_WORDS else None
    assert actual == kind


@pytest.mark.parametrize("word", ["STOP", "Opt out"])
def test_stop_words_revoke_sms_consent_at_once(app, client, sms_shop, fake, word):
    with app.app_context():
        camille_id = make_client().id
    params = fake.inbound_params("+33612345678", word)
    response = post_signed(client, fake, "/hooks/twilio/inbound", params)
    assert response.status_code == 200 and response.mimetype == "application/xml"
    with app.app_context():
        camille = db.session.get(Client, camille_id)
        assert camille.sms_opt_in is False and camille.email_opt_in is True
        assert db.session.scalar(sa.select(Suppression.channel)) == "sms"
        inbound = db.session.scalar(sa.select(Message).where(Message.direction == "in"))
        assert inbound.client_id == camille_id and inbound.body == word and inbound.state == "received"
        message_id = queue_sms(camille)
        camille.sms_opt_in = True  # even a mistaken tick cannot override the opt-out
        db.session.commit()
        assert outbox.deliver(message_id) == "failed"
    assert fake.messages == []


def test_start_restores_consent(app, client, sms_shop, fake):
    with app.app_context():
        camille_id = make_client().id
    post_signed(client, fake, "/hooks/twilio/inbound", fake.inbound_params("+33612345678", "STOP"))
    post_signed(client, fake, "/hooks/twilio/inbound", fake.inbound_params("+33612345678", "START"))
    with app.app_context():
        camille = db.session.get(Client, camille_id)
        assert camille.sms_opt_in is True and camille.sms_opt_in_source == "Replied START"
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Suppression)) == 0
        assert outbox.deliver(queue_sms(camille)) == "sent"


def test_other_start_words(app, client, sms_shop, fake, word="UNSTOP"):
    with app.app_context():
        camille_id = make_client(sms_opt_in=False).id
    post_signed(client, fake, "/hooks/twilio/inbound", fake.inbound_params("+33612345678", word))
    with app.app_context():
        assert db.session.get(Client, camille_id).sms_opt_in is True


def test_help_gets_the_shops_reply(app, client, sms_shop, fake):
    with app.app_context():
        make_client()
    response = post_signed(client, fake, "/hooks/twilio/inbound", fake.inbound_params("+33612345678", "help"))
    assert response.status_code == 200
    assert response.get_data(as_text=True) == (
        '<?xml version="1.0" encoding="UTF-8"?><Response><Message>'
        "Maison Perle: call us on 01 23 45 67 89. STOP to opt out.</Message></Response>")


def test_inbound_reply_lands_on_the_timeline_for_the_last_sender(app, client, sms_shop, fake):
    with app.app_context():
        camille = make_client()
        message, _ = outbox.queue_message(client=camille, channel="sms", body="Hi", to_address=camille.phone,
                                          user_id=sms_shop["associate"])
        db.session.commit()
        outbox.deliver(message.id)
        camille_id = camille.id
    response = post_signed(client, fake, "/hooks/twilio/inbound",
                           fake.inbound_params("+33612345678", "Lovely, I'll come Saturday!"))
    assert response.get_data(as_text=True).endswith("<Response></Response>")
    with app.app_context():
        reply = db.session.scalar(sa.select(Message).where(Message.direction == "in"))
        assert reply.client_id == camille_id and reply.user_id == sms_shop["associate"]
        assert db.session.get(Client, camille_id).sms_opt_in is True


def test_inbound_with_invalid_signature_changes_nothing(app, client, sms_shop, fake):
    with app.app_context():
        camille_id = make_client().id
    params = fake.inbound_params("+33612345678", "STOP")
    bad = twilio_signature("wrong-token", PUBLIC + "/hooks/twilio/inbound", params)
    assert post_signed(client, fake, "/hooks/twilio/inbound", params, signature=bad).status_code == 403
    assert client.post("/hooks/twilio/inbound", data=params).status_code == 403  # no signature at all
    # Signed for another URL (replayed elsewhere).
    other = fake.signed(PUBLIC + "/hooks/twilio/status", params)["X-Twilio-Signature"]
    assert post_signed(client, fake, "/hooks/twilio/inbound", params, signature=other).status_code == 403
    with app.app_context():
        assert db.session.get(Client, camille_id).sms_opt_in is True
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) == 0


def test_webhooks_work_with_csrf_protection_on(app, client, sms_shop, fake):
    app.config["WTF_CSRF_ENABLED"] = True
    with app.app_context():
        make_client()
    response = post_signed(client, fake, "/hooks/twilio/inbound", fake.inbound_params("+33612345678", "HELP"))
    assert response.status_code == 200


def test_send_test_from_channels_page(app, client, auth, sms_shop, fake):
    auth.login("owner")
    response = client.post("/messaging/channels/test", data={"channel": "sms", "address": "06 12 34 56 78"})
    assert response.status_code == 303
    assert [m["to"] for m in fake.messages] == ["+33612345678"]
    assert urlsplit(fake.messages[0]["status_callback"]).path == "/hooks/twilio/status"
