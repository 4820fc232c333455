"""The Inbox: inbound SMS into threads (known and unknown numbers, replays), visibility per role,
unread counts, replies through the outbox rules, and filing unknown senders."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from clientbook.conversations import threads
from clientbook.extensions import db
from clientbook.models import Client, Message, Role, Shop, Thread, User
from tests.support.messaging import PUBLIC, fake, make_client  # noqa: F401  (fake: a fixture)
from tests.test_twilio import sms_shop  # noqa: F401  (a fixture)


def text_in(test_client, fake, sender: str, body: str, params: dict | None = None):
    params = params or fake.inbound_params(sender, body)
    return test_client.post("/hooks/twilio/inbound", data=params,
                            headers=fake.signed(PUBLIC + "/hooks/twilio/inbound", params))


def client_for(who_id: int | None, **values) -> int:
    return make_client(assigned_to_id=who_id, **values).id


# ---- inbound --------------------------------------------------------------------------------------

def test_reply_from_a_client_lands_in_their_thread_unread(app, client, sms_shop, fake):
    with app.app_context():
        camille = client_for(sms_shop["associate"])
    assert text_in(client, fake, "+33612345678", "Yes, Saturday works!").status_code == 200
    with app.app_context():
        thread = db.session.scalar(sa.select(Thread))
        assert thread.client_id == camille and thread.state == "unread" and thread.unread_since is not None
        assert thread.last_preview == "Yes, Saturday works!"
        [message] = db.session.scalars(sa.select(Message))
        assert message.client_id == camille and message.direction == "in"


def test_replayed_webhook_is_stored_once(app, client, sms_shop, fake):
    with app.app_context():
        client_for(sms_shop["associate"])
    params = fake.inbound_params("+33612345678", "See you soon")
    for _ in range(3):
        assert text_in(client, fake, "", "", params).status_code == 200
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Message.id))) == 1
        assert db.session.scalar(sa.select(sa.func.count(Thread.id))) == 1


def test_unsigned_or_badly_signed_webhook_is_refused(app, client, sms_shop, fake):
    params = fake.inbound_params("+33612345678", "hello")
    assert client.post("/hooks/twilio/inbound", data=params).status_code == 403
    assert client.post("/hooks/twilio/inbound", data=params, headers={"X-Twilio-Signature": "bad"}).status_code == 403
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Message.id))) == 0


def test_shared_number_is_filed_once_on_one_card(app, client, sms_shop, fake):
    with app.app_context():
        client_for(sms_shop["associate"], first_name="Old", archived_at=sa.func.now())
        live = client_for(sms_shop["associate"], first_name="Live", email="live@example.com")
    text_in(client, fake, "+33612345678", "Hello")
    with app.app_context():
        [message] = db.session.scalars(sa.select(Message))
        assert message.client_id == live


def test_unknown_number_gets_its_own_thread(app, client, sms_shop, fake):
    text_in(client, fake, "+33699999999", "Is the ring still available?")
    text_in(client, fake, "+33699999999", "The one in the window")
    with app.app_context():
        [thread] = db.session.scalars(sa.select(Thread))
        assert thread.client_id is None and thread.address == "+33699999999" and thread.state == "unread"
        assert len(threads.thread_messages(thread)) == 2


@pytest.mark.parametrize("word", ["STOP", "START", "HELP"])
def test_keywords_work_as_before_and_show_in_the_thread(app, client, sms_shop, fake, word):
    with app.app_context():
        camille = client_for(sms_shop["associate"])
    response = text_in(client, fake, "+33612345678", word)
    assert response.status_code == 200
    with app.app_context():
        person = db.session.get(Client, camille)
        assert person.sms_opt_in is (word != "STOP")
        thread = db.session.scalar(sa.select(Thread))
        assert [m.body for m in threads.thread_messages(thread)] == [word]
        assert thread.state != "unread"  # the keyword is handled; nobody has to answer it
    assert (b"<Message>" in response.data) is (word == "HELP")


# ---- visibility and counts ----------------------------------------------------------------------------

@pytest.fixture
def three_threads(app, client, sms_shop, fake):
    """Ada's client, Bea's client and an unknown number, each with an unread reply."""
    with app.app_context():
        ada_client = client_for(sms_shop["associate"], phone="+33611111111", first_name="Anna")
        bea_client = client_for(sms_shop["associate2"], phone="+33622222222", first_name="Berthe")
    for number in ("+33611111111", "+33622222222", "+33633333333"):
        text_in(client, fake, number, "hello")
    with app.app_context():
        ids = {t.client_id: t.id for t in db.session.scalars(sa.select(Thread))}
    return {"ada": ids[ada_client], "bea": ids[bea_client], "unknown": ids[None]}


def badge(page: bytes) -> int:
    marker = page.split(b'id="inbox-badge"', 1)[1]
    return int(marker.split(b"</span>", 1)[1].split(b"<", 1)[0])


@pytest.mark.parametrize("who, sees, hidden", [
    ("associate", ("ada", "unknown"), ("bea",)),
    ("associate2", ("bea", "unknown"), ("ada",)),
    ("manager", ("ada", "bea", "unknown"), ()),
])
def test_thread_visibility_per_role(client, auth, three_threads, who, sees, hidden):
    auth.login(who)
    page = client.get("/inbox")
    assert page.status_code == 200
    for key in sees:
        assert f'/inbox/{three_threads[key]}"'.encode() in page.data
        assert client.get(f"/inbox/{three_threads[key]}").status_code == 200
    for key in hidden:
        assert f'/inbox/{three_threads[key]}"'.encode() not in page.data
        assert client.get(f"/inbox/{three_threads[key]}").status_code == 403
        assert client.post(f"/inbox/{three_threads[key]}/reply", data={"channel": "sms", "body": "x"}).status_code == 403
        assert client.post(f"/inbox/{three_threads[key]}/state", data={"state": "done"}).status_code == 403
    assert badge(page.data) == len(sees)


def test_opening_marks_read_and_the_badge_counts_down(app, client, auth, three_threads):
    auth.login("associate")
    assert badge(client.get("/today").data) == 2
    response = client.post(f"/inbox/{three_threads['ada']}/read", headers={"HX-Request": "true"})
    assert b'id="inbox-badge"' in response.data and b"hx-swap-oob" in response.data
    assert badge(client.get("/inbox").data) == 1
    with app.app_context():
        assert db.session.get(Thread, three_threads["ada"]).state == "needs_reply"


def test_manager_assigns_a_thread_to_another_associate(app, client, auth, three_threads):
    auth.login("manager")
    with app.app_context():
        bea = db.session.scalar(sa.select(User.id).where(User.name == "Bea Associate"))
    assert client.post(f"/inbox/{three_threads['unknown']}/assign", data={"assigned_to_id": bea}).status_code == 200
    auth.logout()
    auth.login("associate")
    assert client.get(f"/inbox/{three_threads['unknown']}").status_code == 403
    auth.logout()
    auth.login("associate2")
    assert client.get(f"/inbox/{three_threads['unknown']}").status_code == 200


def test_associates_cannot_assign(client, auth, three_threads):
    auth.login("associate")
    assert client.post(f"/inbox/{three_threads['ada']}/assign", data={"assigned_to_id": ""}).status_code == 403


# ---- replying ------------------------------------------------------------------------------------------

def test_reply_goes_through_the_outbox(app, client, auth, three_threads, fake):
    auth.login("associate")
    response = client.post(f"/inbox/{three_threads['ada']}/reply",
                           data={"channel": "sms", "body": "See you Saturday!", "token": "t1"})
    assert response.status_code == 303
    [sent] = fake.messages
    assert sent["to"] == "+33611111111" and sent["body"] == "See you Saturday!"
    with app.app_context():
        thread = db.session.get(Thread, three_threads["ada"])
        assert thread.state == "done" and thread.last_direction == "out"
        assert [m.direction for m in threads.thread_messages(thread)] == ["in", "out"]


def test_reply_respects_consent(app, client, auth, three_threads, fake):
    with app.app_context():
        db.session.scalar(sa.select(Client).where(Client.first_name == "Anna")).sms_opt_in = False
        db.session.commit()
    auth.login("associate")
    response = client.post(f"/inbox/{three_threads['ada']}/reply", data={"channel": "sms", "body": "Hi"})
    assert response.status_code == 422 and b"No SMS consent." in response.data
    assert fake.messages == []
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Message.id)).where(Message.direction == "out")) == 0


def test_reply_by_handoff_then_not_sent(app, client, auth, three_threads):
    auth.login("associate")
    response = client.post(f"/inbox/{three_threads['ada']}/reply",
                           data={"channel": "handoff_sms", "body": "Call you later", "token": "h1"})
    assert response.status_code == 200 and b"sms:+33611111111?body=Call%20you%20later" in response.data
    assert b"Sent?" in response.data
    with app.app_context():
        message = db.session.scalar(sa.select(Message).where(Message.direction == "out"))
        assert db.session.get(Thread, three_threads["ada"]).state == "done"
    client.post(f"/inbox/{three_threads['ada']}/handoff/{message.id}", data={"sent": "no"})
    with app.app_context():
        assert db.session.get(Message, message.id).state == "failed"
        assert db.session.get(Thread, three_threads["ada"]).state == "needs_reply"


def test_unknown_thread_cannot_be_replied_to_before_it_is_filed(client, auth, three_threads):
    auth.login("associate")
    assert client.post(f"/inbox/{three_threads['unknown']}/reply",
                       data={"channel": "handoff_sms", "body": "Hi"}).status_code == 409


def test_create_client_from_an_unknown_number(app, client, auth, three_threads):
    auth.login("associate")
    response = client.post(f"/inbox/{three_threads['unknown']}/create-client",
                           data={"first_name": "Chloé", "last_name": "Durand"})
    assert response.status_code == 303
    with app.app_context():
        chloe = db.session.scalar(sa.select(Client).where(Client.first_name == "Chloé"))
        assert chloe.phone == "+33633333333" and chloe.phone_valid and not chloe.sms_opt_in
        thread = db.session.scalar(sa.select(Thread).where(Thread.client_id == chloe.id))
        assert [m.client_id for m in threads.thread_messages(thread)] == [chloe.id]
        assert db.session.get(Thread, three_threads["unknown"]) is None


def test_attach_an_unknown_number_to_an_existing_client(app, client, auth, three_threads):
    auth.login("associate")
    with app.app_context():
        anna = db.session.scalar(sa.select(Client).where(Client.first_name == "Anna"))
        anna_id = anna.id
    found = client.get(f"/inbox/{three_threads['unknown']}/attach?q=Anna")
    assert b"Anna" in found.data
    assert client.post(f"/inbox/{three_threads['unknown']}/attach", data={"client_id": anna_id}).status_code == 303
    with app.app_context():
        thread = db.session.get(Thread, three_threads["ada"])
        assert len(threads.thread_messages(thread)) == 2 and thread.state == "unread"


def test_associate_cannot_attach_to_someone_elses_client(app, client, auth, three_threads):
    with app.app_context():
        db.session.query(Shop).one().associates_see_all_clients = False  # a strict shop
        db.session.commit()
        berthe = db.session.scalar(sa.select(Client.id).where(Client.first_name == "Berthe"))
    auth.login("associate")
    assert client.post(f"/inbox/{three_threads['unknown']}/attach", data={"client_id": berthe}).status_code in (403, 404)


def test_bad_input_is_4xx(client, auth, three_threads):
    auth.login("manager")
    assert client.get("/inbox/999999").status_code == 404
    assert client.get("/inbox?show=nonsense&page=-4").status_code == 200
    assert client.post(f"/inbox/{three_threads['ada']}/state", data={"state": "gone"}).status_code == 400
    assert client.post(f"/inbox/{three_threads['ada']}/assign", data={"assigned_to_id": "x"}).status_code == 400
    assert client.post(f"/inbox/{three_threads['unknown']}/attach", data={"client_id": "99999999999999"}).status_code == 404


def test_the_cards_conversation_link(app, client, auth, three_threads):
    with app.app_context():
        anna = db.session.scalar(sa.select(Client.id).where(Client.first_name == "Anna"))
        quiet = make_client(first_name="Quiet", phone="+33644444444", assigned_to_id=None).id
    auth.login("associate")
    assert b"Conversation" in client.get(f"/clients/{anna}").data
    assert client.get(f"/clients/{anna}/conversation").headers["Location"].endswith(f"/inbox/{three_threads['ada']}")
    assert client.get(f"/clients/{quiet}/conversation").headers["Location"].endswith(f"/clients/{quiet}/message")
