"""Outreach: plain-function tables (SMS length, hand-off links, quiet hours, consent) and the pages."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from clientbook.extensions import db
from clientbook.messaging.consent import consent_problem
from clientbook.messaging.handoff import mailto_link, sms_link, whatsapp_link
from clientbook.messaging.quiet_hours import next_allowed_time, zone_for
from clientbook.messaging.sms_length import sms_length
from clientbook.models import Message, MessageTemplate, Purchase, Shop, User, utcnow
from tests.support.messaging import enable_channels, make_client, make_template


# ---- SMS length -----------------------------------------------------------------------------

@pytest.mark.parametrize("text, encoding, units, segments", [
    ("", "GSM-7", 0, 0),
    ("Hello", "GSM-7", 5, 1),
    ("a" * 160, "GSM-7", 160, 1),
    ("a" * 161, "GSM-7", 161, 2),
    ("a" * 306, "GSM-7", 306, 2),
    ("a" * 307, "GSM-7", 307, 3),
    ("Prix: 10€", "GSM-7", 10, 1),  # € is in the extension table: two septets
    ("{" * 80, "GSM-7", 160, 1),
    ("{" * 81, "GSM-7", 162, 2),
    ("Très bien", "GSM-7", 9, 1),  # è is in the basic GSM alphabet
    ("Ça va ?", "GSM-7", 7, 1),
    ("ç" * 70, "UCS-2", 70, 1),  # lower-case ç is not
    ("ç" * 71, "UCS-2", 71, 2),
    ("ç" * 134, "UCS-2", 134, 2),
    ("ç" * 135, "UCS-2", 135, 3),
    ("Joyeux anniversaire 🎂", "UCS-2", 22, 1),  # the emoji is two UTF-16 units
])
def test_sms_length(text, encoding, units, segments):
    result = sms_length(text)
    assert (result.encoding, result.units, result.segments) == (encoding, units, segments)


def test_sms_per_segment_capacity():
    assert sms_length("a" * 10).per_segment == 160
    assert sms_length("a" * 200).per_segment == 153
    assert sms_length("ç" * 10).per_segment == 70
    assert sms_length("ç" * 100).per_segment == 67


# ---- hand-off links ---------------------------------------------------------------------------

@pytest.mark.parametrize("body, encoded", [
    ("Hello Camille", "Hello%20Camille"),  # spaces are %20, never +
    ("Line one\nLine two", "Line%20one%0ALine%20two"),
    ("Tea & cake? Yes!", "Tea%20%26%20cake%3F%20Yes%21"),
    ("Bon anniversaire 🎂", "Bon%20anniversaire%20%F0%9F%8E%82"),
    ("50% off #new a+b=c", "50%25%20off%20%23new%20a%2Bb%3Dc"),
    ("Élodie", "%C3%89lodie"),
])
def test_sms_link_encoding(body, encoded):
    assert sms_link("+33612345678", body) == f"sms:+33612345678?body={encoded}"


@pytest.mark.parametrize("phone, expected", [
    ("+33 6 12 34 56 78", "sms:+33612345678?body=Hi"),
    ("+1 (415) 555-0100", "sms:+14155550100?body=Hi"),
])
def test_sms_link_number_is_compact(phone, expected):
    assert sms_link(phone, "Hi") == expected


def test_whatsapp_link_uses_digits_and_percent_encoding():
    assert whatsapp_link("+33 6 12 34 56 78", "Hi Anna & Paul\nSee you 🙂") == \
        "https://wa.me/33612345678?text=Hi%20Anna%20%26%20Paul%0ASee%20you%20%F0%9F%99%82"


def test_mailto_link_has_subject_and_crlf_body():
    assert mailto_link("anna+shop@example.com", "New in: rings & more", "Hi Anna,\nCome by?") == (
        "mailto:anna%2Bshop@example.com?subject=New%20in%3A%20rings%20%26%20more"
        "&body=Hi%20Anna%2C%0D%0ACome%20by%3F"
    )


# ---- quiet hours -------------------------------------------------------------------------------

PARIS = ZoneInfo("Europe/Paris")


@pytest.mark.parametrize("now_utc, expected_utc", [
    # 12:00 in Paris (UTC+1 in winter): allowed now.
    (datetime(2026, 1, 15, 11, 0), datetime(2026, 1, 15, 11, 0)),
    # 07:30 Paris: wait until 08:00 Paris = 07:00 UTC.
    (datetime(2026, 1, 15, 6, 30), datetime(2026, 1, 15, 7, 0)),
    # 21:00 Paris exactly: the window has closed; next morning 08:00.
    (datetime(2026, 1, 15, 20, 0), datetime(2026, 1, 16, 7, 0)),
    # 23:30 Paris: next morning.
    (datetime(2026, 1, 15, 22, 30), datetime(2026, 1, 16, 7, 0)),
    # 00:30 Paris (still 14 Jan in UTC): this morning 08:00 Paris.
    (datetime(2026, 1, 14, 23, 30), datetime(2026, 1, 15, 7, 0)),
    # Summer time (UTC+2): 06:00 UTC is 08:00 Paris, allowed.
    (datetime(2026, 7, 1, 6, 0), datetime(2026, 7, 1, 6, 0)),
    (datetime(2026, 7, 1, 5, 59), datetime(2026, 7, 1, 6, 0)),
    # The night clocks go forward (29 March 2026): 02:30 UTC is 04:30 Paris -> 08:00 = 06:00 UTC.
    (datetime(2026, 3, 29, 2, 30), datetime(2026, 3, 29, 6, 0)),
])
def test_quiet_hours_in_paris(now_utc, expected_utc):
    assert next_allowed_time(now_utc, PARIS, time(8, 0), time(21, 0)) == expected_utc


def test_quiet_hours_use_the_clients_zone_first():
    # 15:00 UTC is 16:00 in Paris but 07:00 in Los Angeles: a Californian client waits an hour.
    zone = zone_for("America/Los_Angeles", "Europe/Paris")
    assert next_allowed_time(datetime(2026, 1, 15, 15, 0), zone) == datetime(2026, 1, 15, 16, 0)
    assert zone_for(None, "Europe/Paris") == PARIS
    assert zone_for("Not/AZone", "Europe/Paris") == PARIS


@pytest.mark.parametrize("local_hour, allowed", [(21, True), (23, True), (2, True), (7, False), (12, False)])
def test_quiet_hours_window_past_midnight(local_hour, allowed):
    now = datetime(2026, 1, 15, local_hour, 0)  # UTC zone: local == UTC
    result = next_allowed_time(now, ZoneInfo("UTC"), time(20, 0), time(3, 0))
    assert (result == now) is allowed


# ---- consent -----------------------------------------------------------------------------------

BASE_FACTS = {"email": "a@example.com", "phone": "+33612345678", "phone_valid": True,
              "email_opt_in": True, "sms_opt_in": True, "suppressed": False}


@pytest.mark.parametrize("channel, changes, problem", [
    ("sms", {}, None),
    ("email", {}, None),
    ("handoff_sms", {}, None),
    ("whatsapp", {}, None),
    ("handoff_email", {}, None),
    ("sms", {"sms_opt_in": False}, "No SMS consent."),
    ("whatsapp", {"sms_opt_in": False}, "No SMS consent."),
    ("handoff_sms", {"sms_opt_in": False}, "No SMS consent."),
    ("email", {"email_opt_in": False}, "No email consent."),
    ("handoff_email", {"email_opt_in": False}, "No email consent."),
    ("sms", {"email_opt_in": False}, None),  # consent is per channel
    ("sms", {"phone": None}, "No phone number."),
    ("sms", {"phone_valid": False}, "The phone number is not in international format."),
    ("email", {"email": None}, "No email address."),
    ("sms", {"suppressed": True}, "This address opted out."),
    ("email", {"suppressed": True}, "This address opted out."),
    ("email", {"archived": True}, "This client is archived."),
    ("email", {"merged": True}, "This client was merged into another card."),
    ("fax", {}, "Unknown channel."),
])
def test_consent_table(channel, changes, problem):
    assert consent_problem({**BASE_FACTS, **changes}, channel) == problem


def test_suppression_blocks_and_survives_deleting_the_client(app, shop):
    from clientbook.messaging import consent

    with app.app_context():
        client = make_client()
        consent.suppress("sms", "+33 6 12 34 56 78", "Replied STOP")
        db.session.commit()
        assert client.sms_opt_in is False
        assert consent.why_not(client, "sms") == "No SMS consent."
        db.session.delete(client)
        db.session.commit()
        # A new card with the same number, even with consent ticked, is still blocked.
        again = make_client(first_name="Camille again")
        assert consent.why_not(again, "sms") == "This address opted out."
        assert consent.why_not(again, "email") is None


# ---- hand-off: the default for a new shop, no account anywhere --------------------------------------

def test_new_shop_can_hand_off_a_text_from_the_card(app, client, auth, shop):
    with app.app_context():
        camille = make_client(assigned_to_id=shop["associate"])
        # The shop's neutral check-in: what a client with no recent purchase or occasion gets.
        make_template("sms", "Hi {first_name} & welcome!\nSee you at {shop_name}?", name="Keeping in touch")
        camille_id = camille.id
    auth.login("associate")
    response = client.post(f"/clients/{camille_id}/handoff/handoff_sms", headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    expected = "sms:+33612345678?body=Hi%20Camille%20%26%20welcome%21%0ASee%20you%20at%20Maison%20Perle%3F"
    assert f'href="{expected}"' in html
    assert "data-handoff-auto" in html
    with app.app_context():
        message = db.session.scalar(sa.select(Message))
        # Logged when tapped; it counts as sent only once the associate answers "Sent?".
        assert (message.channel, message.state, message.client_id) == ("handoff_sms", "handed_off", camille_id)
        assert message.user_id == shop["associate"] and message.sent_at is None
        assert message.body == "Hi Camille & welcome!\nSee you at Maison Perle?"


def test_handoff_refused_without_consent(app, client, auth, shop):
    with app.app_context():
        camille_id = make_client(sms_opt_in=False).id
    auth.login("manager")
    response = client.post(f"/clients/{camille_id}/handoff/whatsapp")
    assert response.status_code == 422
    assert b"No SMS consent." in response.data
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) == 0


def test_associate_cannot_message_someone_elses_client_in_a_strict_shop(app, client, auth, shop):
    with app.app_context():
        db.session.query(Shop).one().associates_see_all_clients = False
        camille_id = make_client(assigned_to_id=shop["associate2"]).id
    auth.login("associate")
    assert client.get(f"/clients/{camille_id}/message").status_code == 404
    assert client.post(f"/clients/{camille_id}/handoff/handoff_sms").status_code == 404


def test_compose_page_shows_channels_and_draft(app, client, auth, shop):
    with app.app_context():
        camille_id = make_client(email_opt_in=False).id
        make_template("sms", "Bonjour {first_name}, c'est {associate_first_name}.", name="Keeping in touch")
    auth.login("manager")
    response = client.get(f"/clients/{camille_id}/message?channel=whatsapp")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Bonjour Camille, c&#39;est Max." in html
    assert "Open in WhatsApp" in html
    assert "No email consent." in html  # the email hand-off is shown as unavailable, with why
    assert 'data-sms-counter="body-length"' in html


def test_compose_hand_off_with_edited_text_and_double_submit(app, client, auth, shop):
    with app.app_context():
        camille_id = make_client().id
    auth.login("manager")
    form = {"channel": "handoff_email", "subject": "Your ring", "body": "Hi Camille,\nit's ready.", "token": "abc123"}
    first = client.post(f"/clients/{camille_id}/message", data=form)
    second = client.post(f"/clients/{camille_id}/message", data=form)  # a double tap
    assert first.status_code == second.status_code == 200
    assert "mailto:camille@example.com?subject=Your%20ring&amp;body=Hi%20Camille%2C%0D%0Ait%27s%20ready." in \
        first.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) == 1


def test_compose_empty_body_is_refused_next_to_the_field(app, client, auth, shop):
    with app.app_context():
        camille_id = make_client().id
    auth.login("manager")
    response = client.post(f"/clients/{camille_id}/message", data={"channel": "handoff_sms", "body": "  "})
    assert response.status_code == 422
    assert b'id="body-error"' in response.data and b"Write a message first." in response.data


def test_compose_provider_channel_needs_it_switched_on(app, client, auth, shop):
    with app.app_context():
        camille_id = make_client().id
    auth.login("manager")
    response = client.post(f"/clients/{camille_id}/message", data={"channel": "sms", "body": "Hi"})
    assert response.status_code == 422
    assert b"Pick one of the shop&#39;s channels." in response.data


def test_compose_from_a_reminder_uses_its_draft(app, client, auth, shop):
    models = pytest.importorskip("clientbook.models")
    if not hasattr(models, "Reminder"):
        pytest.skip("reminders are not installed")
    from clientbook.models import Reminder

    with app.app_context():
        camille = make_client()
        reminder = Reminder(client_id=camille.id, occurrence="m1", kind="manual", reason="Call about the ring",
                            due_date=date.today(), owner_id=shop["manager"])
        db.session.add(reminder)
        db.session.commit()
        ids = camille.id, reminder.id
    auth.login("manager")
    response = client.get(f"/clients/{ids[0]}/message?reminder_id={ids[1]}")
    assert response.status_code == 200
    assert b"Call about the ring" in response.data
    assert b"Hello Camille" in response.data


# ---- templates -------------------------------------------------------------------------------

def test_template_with_unknown_placeholder_is_rejected(app, client, auth, shop):
    auth.login("manager")
    response = client.post("/messaging/templates/new", data={
        "name": "Birthday", "channel": "sms", "body": "Happy birthday {firstname}!", "active": "y"})
    assert response.status_code == 422
    assert b"Unknown placeholder {firstname}" in response.data
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(MessageTemplate)) == 0


def test_template_saved_and_previewed_for_a_client(app, client, auth, shop):
    with app.app_context():
        camille_id = make_client().id
    auth.login("manager")
    response = client.post("/messaging/templates/new", data={
        "name": "Birthday", "channel": "sms", "body": "Happy {date_label}, {first_name}! {shop_name}", "active": "y"})
    assert response.status_code == 303
    preview = client.post("/messaging/templates/preview", headers={"HX-Request": "true"}, data={
        "channel": "sms", "body": "Happy {date_label}, {first_name}! 🎉", "preview_client_id": str(camille_id)})
    html = preview.get_data(as_text=True)
    assert "Happy your birthday, Camille! 🎉" in html
    assert "UCS-2" in html and "1 SMS" in html
    assert "<html" not in html  # a fragment, not the page


def test_templates_are_for_managers_only(client, auth):
    auth.login("associate")
    assert client.get("/messaging/templates").status_code == 403
    assert client.post("/messaging/templates/preview", data={"body": "x"}).status_code == 403


# ---- channels page ---------------------------------------------------------------------------------

def test_channels_page_shows_configuration_but_never_secrets(app, client, auth, shop):
    app.config.update(TWILIO_ACCOUNT_SID="AC1234567890abcdef", TWILIO_AUTH_TOKEN="super-secret-token",
                      TWILIO_FROM="+33100000000", MAIL_SERVER="smtp.example.com", MAIL_FROM="Shop <shop@example.com>",
                      MAIL_PASSWORD="mail-secret")
    auth.login("owner")
    html = client.get("/messaging/channels").get_data(as_text=True)
    assert "super-secret-token" not in html and "mail-secret" not in html
    assert "AC1234567890abcdef" not in html and "AC…cdef" in html
    assert "+33100000000" in html and "smtp.example.com" in html
    response = client.post("/messaging/channels", data={"handoff_sms": "y", "sms_enabled": "y"})
    assert response.status_code == 303
    auth.logout()
    auth.login("manager")
    assert client.get("/messaging/channels").status_code == 403


def test_new_shop_defaults_to_hand_off_only(app, shop):
    from clientbook.messaging.settings import enabled_channels

    with app.app_context():
        assert enabled_channels() == ["handoff_sms", "handoff_email", "whatsapp"]


# ---- timeline ----------------------------------------------------------------------------------------

def test_messages_appear_on_the_timeline_source(app, shop):
    pytest.importorskip("clientbook.clients.timeline")
    from clientbook.messaging.timeline import message_timeline_entries

    with app.app_context():
        camille = make_client()
        db.session.add_all([
            Message(client_id=camille.id, channel="sms", direction="out", body="Hi", state="delivered"),
            Message(client_id=camille.id, channel="sms", direction="in", body="Thanks!", state="received"),
        ])
        db.session.commit()
        entries = message_timeline_entries(camille.id, None)
        assert {e.kind for e in entries} == {"message", "message_in"}
        assert all(e.template == "messaging/_timeline_message.html" for e in entries)


# ---- attribution and the dashboard ----------------------------------------------------------------

def test_purchase_within_attribution_window_is_credited_to_the_outreach(app, shop):
    from clientbook.messaging.attribution import attributed_sales

    with app.app_context():
        camille, other = make_client(), make_client(first_name="Other")
        sent = datetime(2026, 3, 1, 10, 0)
        db.session.add_all([
            Message(client_id=camille.id, user_id=shop["associate"], channel="handoff_sms", state="sent",
                    sent_at=sent, created_at=sent),
            Message(client_id=other.id, user_id=shop["associate2"], channel="sms", state="failed",
                    created_at=sent),  # failed outreach earns nothing
            Purchase(client_id=camille.id, purchased_on=date(2026, 3, 5), total_cents=120_00),
            Purchase(client_id=camille.id, purchased_on=date(2026, 3, 9), total_cents=50_00),  # 8 days: too late
            Purchase(client_id=other.id, purchased_on=date(2026, 3, 2), total_cents=99_00),
        ])
        db.session.commit()
        sales = attributed_sales(date(2026, 3, 1), date(2026, 3, 31), days=7)
        assert [(s.total_cents, s.user_id) for s in sales] == [(120_00, shop["associate"])]
        assert len(attributed_sales(date(2026, 3, 1), date(2026, 3, 31), days=8)) == 2


def test_dashboard_per_associate(app, client, auth, shop):
    with app.app_context():
        camille = make_client()
        now = utcnow()
        db.session.add_all([
            Message(client_id=camille.id, user_id=shop["associate"], channel="handoff_sms", state="sent",
                    sent_at=now, created_at=now),
            Message(client_id=camille.id, user_id=shop["associate"], channel="sms", direction="in",
                    state="received", created_at=now),
            Purchase(client_id=camille.id, purchased_on=date.today(), total_cents=250_00),
        ])
        db.session.commit()
    auth.login("manager")
    response = client.get("/messaging/dashboard?period=7d")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Ada Associate" in html and "250,00\u00a0€" in html
    assert "style=" not in html  # bars are SVG attributes and classes, CSP-safe
    auth.logout()
    auth.login("associate")
    assert client.get("/messaging/dashboard").status_code == 403


def test_dashboard_results_function(app, shop):
    from clientbook.messaging.dashboard import results

    with app.app_context():
        camille = make_client()
        now = utcnow()
        for _ in range(3):
            db.session.add(Message(client_id=camille.id, user_id=shop["associate2"], channel="handoff_sms",
                                   state="sent", sent_at=now, created_at=now))
        db.session.add(Message(client_id=camille.id, user_id=shop["associate2"], channel="sms", purpose="campaign",
                               state="sent", sent_at=now, created_at=now))
        db.session.commit()
        today = date.today()
        rows, total, campaign_messages = results(today - timedelta(days=1), today + timedelta(days=1), 7, ZoneInfo("UTC"))
        bea = next(r for r in rows if r.user_id == shop["associate2"])
        assert bea.outreaches == 3 and total.outreaches == 3 and campaign_messages == 1
        assert db.session.get(User, shop["associate2"]).name == bea.name


def test_card_shows_outreach_buttons_and_messages(app, client, auth, shop):
    if "clients.card" not in app.view_functions:
        pytest.skip("the client card is not installed")
    with app.app_context():
        camille = make_client(assigned_to_id=shop["associate"], email_opt_in=False)
        db.session.add(Message(client_id=camille.id, channel="sms", direction="in", body="See you Saturday!",
                               state="received", created_at=utcnow()))
        db.session.commit()
        camille_id = camille.id
    auth.login("associate")
    html = client.get(f"/clients/{camille_id}").get_data(as_text=True)
    assert f'action="/clients/{camille_id}/handoff/handoff_sms"' in html
    assert f'action="/clients/{camille_id}/handoff/whatsapp"' in html
    assert "No email consent." in html  # the email button is shown disabled, with why
    assert "See you Saturday!" in html


def test_merging_clients_keeps_their_messages(app, shop):
    from flask import current_app

    from clientbook.signals import clients_merged

    with app.app_context():
        kept, duplicate = make_client(), make_client(first_name="Dup")
        db.session.add(Message(client_id=duplicate.id, channel="handoff_sms", body="Hi", state="sent"))
        db.session.commit()
        clients_merged.send(current_app._get_current_object(), kept_id=kept.id, merged_ids=[duplicate.id])
        db.session.commit()
        assert db.session.scalar(sa.select(Message.client_id)) == kept.id
