"""Messages say the right thing: the draft follows the context, hand-offs ask "Sent?", reminders close."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from clientbook.extensions import db
from clientbook.messaging.attribution import attributed_sales
from clientbook.messaging.drafts import CHECK_IN_NAME, choose_draft, template_needs
from clientbook.models import Client, MessageTemplate, Message, Reminder, Shop, User
from clientbook.reminders.defaults import ensure_default_rules
from clientbook.shop import shop_today
from tests.support.messaging import enable_channels, make_client
from tests.support.reminders import add_date, add_purchase

HX = {"HX-Request": "true"}


@pytest.fixture
def seeded(app, shop):
    """The default rules and templates of a new shop, and the hand-off channels on."""
    with app.app_context():
        ensure_default_rules()
        db.session.commit()
        enable_channels(handoff_sms=True, handoff_email=True, whatsapp=True)
    return shop


def draft_for(app, shop, client_id, reminder_id=None):
    with app.app_context():
        client = db.session.get(Client, client_id)
        reminder = db.session.get(Reminder, reminder_id) if reminder_id else None
        return choose_draft(client, db.session.get(User, shop["associate"]), db.session.query(Shop).one(),
                            shop_today(), reminder)


def test_a_template_declares_what_it_needs():
    assert template_needs("Hi {first_name}", "I hope you love your {last_item}. {first_name}") == [
        "first_name", "last_item"]


def test_no_occasion_and_no_purchase_gives_a_neutral_check_in(app, seeded):
    with app.app_context():
        camille = make_client(assigned_to_id=seeded["associate"]).id
    draft = draft_for(app, seeded, camille)
    assert "anniversary" not in draft.body.lower() and "birthday" not in draft.body.lower()
    assert draft.body.startswith("Hello Camille, it's Ada from Maison Perle.") and draft.subject == CHECK_IN_NAME


def test_a_purchase_today_gives_the_thank_you_worded_for_today(app, seeded):
    with app.app_context():
        camille = make_client(assigned_to_id=seeded["associate"])
        add_purchase(camille, shop_today(), items=(("Pearl studs", "Earrings"),))
        db.session.commit()
        camille_id = camille.id
    draft = draft_for(app, seeded, camille_id)
    assert "I hope you love your Pearl studs." in draft.body
    assert draft.why == "Thank-you: bought today"


def test_a_thank_you_that_cant_be_filled_is_never_offered(app, seeded):
    with app.app_context():
        camille = make_client(assigned_to_id=seeded["associate"])
        add_purchase(camille, shop_today() - timedelta(days=2), items=())  # a purchase with no item named
        db.session.commit()
        camille_id = camille.id
    draft = draft_for(app, seeded, camille_id)
    assert "your ." not in draft.body and "{" not in draft.body
    assert draft.subject == CHECK_IN_NAME


def test_an_occasion_soon_gives_that_occasions_template(app, seeded):
    with app.app_context():
        today = shop_today()
        soon, now = today + timedelta(days=5), today
        anna = make_client(first_name="Anna", assigned_to_id=seeded["associate"])
        add_date(anna, kind="birthday", month=soon.month, day=soon.day, for_whom="husband Julien")
        bea = make_client(first_name="Bea", assigned_to_id=seeded["associate"], email="bea@example.com")
        add_date(bea, kind="anniversary", month=now.month, day=now.day)
        db.session.commit()
        anna_id, bea_id = anna.id, bea.id
    upcoming = draft_for(app, seeded, anna_id)
    assert "your husband Julien’s birthday is coming up soon" in upcoming.body
    assert upcoming.why == "Your husband Julien’s birthday in 5 days"
    assert draft_for(app, seeded, bea_id).body.startswith("Happy anniversary, Bea!")


def test_the_reminder_being_worked_on_comes_first(app, seeded):
    with app.app_context():
        camille = make_client(assigned_to_id=seeded["associate"])
        add_purchase(camille, shop_today(), items=(("Pearl studs", "Earrings"),))
        reminder = Reminder(rule_id=None, client_id=camille.id, occurrence="m1", kind="manual",
                            reason="Ask about the resizing", due_date=shop_today(), owner_id=seeded["associate"])
        db.session.add(reminder)
        db.session.commit()
        ids = camille.id, reminder.id
    draft = draft_for(app, seeded, *ids)
    assert draft.subject == "Following up" and "Pearl studs" not in draft.body


def test_one_tap_seeds_the_check_in_and_email_has_a_subject(app, client, auth, seeded):
    with app.app_context():
        db.session.execute(sa.delete(MessageTemplate).where(MessageTemplate.name == CHECK_IN_NAME))
        db.session.commit()
        camille_id = make_client(assigned_to_id=seeded["associate"]).id
    auth.login("associate")
    response = client.post(f"/clients/{camille_id}/handoff/handoff_email", headers=HX)
    assert response.status_code == 200
    assert "?subject=Keeping%20in%20touch&amp;body=Hello%20Camille" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(MessageTemplate).filter_by(name=CHECK_IN_NAME).count() == 1


def test_whatsapp_opens_in_a_new_tab(app, client, auth, seeded):
    with app.app_context():
        camille_id = make_client(assigned_to_id=seeded["associate"]).id
    auth.login("associate")
    html = client.post(f"/clients/{camille_id}/handoff/whatsapp", headers=HX).get_data(as_text=True)
    assert 'href="https://wa.me/33612345678?text=' in html and 'target="_blank"' in html


def test_a_hand_off_counts_only_once_the_associate_says_sent(app, client, auth, seeded):
    with app.app_context():
        camille = make_client(assigned_to_id=seeded["associate"])
        camille_id = camille.id
    auth.login("associate")
    opened = client.post(f"/clients/{camille_id}/handoff/handoff_sms", headers=HX).get_data(as_text=True)
    assert "Sent?" in opened and "Not sent" in opened
    with app.app_context():
        message = db.session.scalar(sa.select(Message))
        assert message.state == "handed_off"
        add_purchase(db.session.get(Client, camille_id), shop_today())
        db.session.commit()
        assert attributed_sales(shop_today(), shop_today(), 7) == []  # not yet: nobody said it went out
        message_id = message.id
    # Back on the card the question is still there.
    assert "Sent?" in client.get(f"/clients/{camille_id}").get_data(as_text=True)
    answered = client.post(f"/messaging/messages/{message_id}/sent", data={"sent": "yes"}, headers=HX)
    assert answered.status_code == 200 and "Logged as sent" in answered.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Message, message_id).state == "sent"
        assert [s.message_id for s in attributed_sales(shop_today(), shop_today(), 7)] == [message_id]
    # Someone else can't answer for the associate.
    auth.logout()
    auth.login("associate2")
    assert client.post(f"/messaging/messages/{message_id}/sent", data={"sent": "no"}).status_code == 404


def test_sending_from_a_reminder_closes_it_and_not_sent_reopens_it(app, client, auth, seeded):
    with app.app_context():
        camille = make_client(assigned_to_id=seeded["associate"])
        reminder = Reminder(rule_id=None, client_id=camille.id, occurrence="m1", kind="manual",
                            reason="Ask about the resizing", due_date=shop_today(), owner_id=seeded["associate"])
        db.session.add(reminder)
        db.session.commit()
        camille_id, reminder_id = camille.id, reminder.id
    auth.login("associate")
    opened = client.post(f"/clients/{camille_id}/handoff/handoff_sms", headers=HX).get_data(as_text=True)
    assert "Reminder done: Texted." in opened and "Undo" in opened
    with app.app_context():
        closed = db.session.get(Reminder, reminder_id)
        assert (closed.state, closed.outcome) == ("done", "texted")
        message = db.session.scalar(sa.select(Message))
        assert message.reminder_id == reminder_id
    client.post(f"/messaging/messages/{message.id}/sent", data={"sent": "no"}, headers=HX)
    with app.app_context():
        assert db.session.get(Reminder, reminder_id).state == "open"
        assert db.session.get(Message, message.id).state == "failed"
    # From the composer by email: closed as "emailed".
    client.post(f"/clients/{camille_id}/message", data={
        "channel": "handoff_email", "subject": "Resizing", "body": "Hello", "reminder_id": str(reminder_id),
        "token": "x1"})
    with app.app_context():
        assert db.session.get(Reminder, reminder_id).outcome == "emailed"


def test_composer_words_a_purchase_reminder_relative_to_today(app, client, auth, seeded):
    from clientbook.models import ReminderRule

    with app.app_context():
        camille = make_client(assigned_to_id=seeded["associate"])
        add_purchase(camille, shop_today(), items=(("Pearl studs", "Earrings"),))
        rule = db.session.scalar(sa.select(ReminderRule).where(ReminderRule.trigger == "purchase",
                                                                ReminderRule.days == 2))
        reminder = Reminder(rule_id=rule.id, client_id=camille.id, occurrence="p1", kind="purchase",
                            reason="Thank-you: bought 2 days ago", due_date=shop_today() + timedelta(days=2),
                            owner_id=seeded["associate"])
        db.session.add(reminder)
        db.session.commit()
        ids = camille.id, reminder.id
    auth.login("associate")
    page = client.get(f"/clients/{ids[0]}/message?reminder_id={ids[1]}").get_data(as_text=True)
    assert "bought today" in page and "2 days ago" not in page
