"""Campaigns: segment reach after consent, throttling, resumable sending and the result summary."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from clientbook.extensions import db
from clientbook.messaging import campaigns
from clientbook.models import Campaign, CampaignRecipient, Client, ClientTag, Message, User, utcnow
from tests.support.messaging import (  # noqa: F401  (fake: a fixture)
    always_open, enable_channels, fake, make_client, point_at_fake_twilio,
)

@pytest.fixture
def sms_shop(app, shop, fake):
    point_at_fake_twilio(app, fake)
    with app.app_context():
        enable_channels(sms_enabled=True)
        always_open()
    return shop

def make_vips(count: int, **overrides) -> list[int]:
    ids = []
    for n in range(count):
        client = make_client(first_name=f"Vip{n}", phone=f"+336123400{n:02d}", email=f"vip{n}@example.com",
                             **overrides)
        db.session.add(ClientTag(client_id=client.id, tag="vip"))
        ids.append(client.id)
    db.session.commit()
    return ids

def make_campaign(user_id: int, rate: int = 60, segment: str = '{"tag": ["vip"]}', channel: str = "sms") -> Campaign:
    campaign = Campaign(name="Spring collection", channel=channel, body="Hi {first_name}, spring is in!",
                        subject="Spring", rate_per_minute=rate, created_by_id=user_id, segment_json=segment)
    db.session.add(campaign)
    db.session.commit()
    return campaign

# ---- throttling as plain functions ------------------------------------------------------------------

@pytest.mark.parametrize("tokens, rate, elapsed, expected", [
    (1.0, 60, 0, 1.0),
    (0.0, 60, 1, 1.0),  # one a second
    (0.0, 60, 0.5, 0.5),
    (0.0, 600, 1, 10.0),  # ten a second; the bucket holds 3 s worth = 30 ...
    (0.0, 600, 10, 30.0),  # ... so a long pause never releases a flood
    (0.0, 6, 10, 1.0),  # one every ten seconds
    (0.4, 6, 100, 1.0),  # capacity is at least one message
])
def test_refill_tokens(tokens, rate, elapsed, expected):
    assert campaigns.refill_tokens(tokens, rate, elapsed) == pytest.approx(expected)

@pytest.mark.parametrize("tokens, rate, seconds", [(0.0, 60, 1.0), (0.0, 6, 10.0), (0.5, 6, 5.0), (0.0, 600, 1.0)])
def test_seconds_until_next_token(tokens, rate, seconds):
    assert campaigns.seconds_until_next_token(tokens, rate) == pytest.approx(seconds)

# ---- reach -----------------------------------------------------------------------------------------

def test_reach_counts_only_consenting_clients(app, sms_shop):
    with app.app_context():
        make_vips(3)
        make_vips(1, sms_opt_in=False)
        make_vips(1, email_opt_in=False, phone_valid=False)
        make_client(first_name="Not a vip")
        user = db.session.get(User, sms_shop["manager"])
        reach = campaigns.segment_reach(campaigns.segment_args('{"tag": ["vip"]}'), user, None)
        assert reach.total == 5
        assert reach.by_channel == {"sms": 3, "email": 4}

# ---- sending -------------------------------------------------------------------------------------

def test_campaign_is_throttled_and_resumable(app, sms_shop, fake):
    with app.app_context():
        make_vips(5)
        make_vips(1, sms_opt_in=False)
        manager = db.session.get(User, sms_shop["manager"])
        campaign = make_campaign(manager.id, rate=60)
        assert campaigns.start_campaign(campaign, manager, enqueue=False) == 6
        start = utcnow()
        # First tick: one token (rate 60/min = one a second), plus the skipped client costs none.
        assert campaigns.campaign_tick(campaign.id, now=start) == pytest.approx(1.0)
        assert len(fake.messages) == 1
        # A tick right after the first one is a duplicate chain: it stops without sending.
        assert campaigns.campaign_tick(campaign.id, now=start + timedelta(seconds=0.1)) is None
        assert len(fake.messages) == 1
        # Two seconds later, two more.
        campaigns.campaign_tick(campaign.id, now=start + timedelta(seconds=2))
        assert len(fake.messages) == 3
        # "The worker died" for a minute: the bucket only holds 3 seconds' worth.
        campaigns.campaign_tick(campaign.id, now=start + timedelta(seconds=62))
        assert len(fake.messages) == 5
        assert campaigns.campaign_tick(campaign.id, now=start + timedelta(seconds=63)) is None
        campaign = db.session.get(Campaign, campaign.id)
        assert campaign.state == "done" and campaign.finished_at is not None
        progress = campaigns.campaign_progress(campaign.id)
        assert (progress.total, progress.sent, progress.skipped, progress.failed) == (6, 5, 1, 0)
        assert progress.skip_reasons == [("No SMS consent.", 1)]
    assert len(set(fake.keys())) == 5 and fake.duplicates == []
    assert all(m["body"].startswith("Hi Vip") for m in fake.messages)

def test_restarting_a_campaign_never_sends_twice(app, sms_shop, fake):
    with app.app_context():
        make_vips(3)
        manager = db.session.get(User, sms_shop["manager"])
        campaign = make_campaign(manager.id, rate=600)
        campaigns.start_campaign(campaign, manager, enqueue=False)
        # A worker wrote the message row and died before sending it.
        recipient = db.session.scalar(sa.select(CampaignRecipient).order_by(CampaignRecipient.id))
        message_id = campaigns._prepare(db.session.get(Campaign, campaign.id), recipient)
        assert db.session.get(Message, message_id).state == "queued"
        assert campaigns.start_campaign(db.session.get(Campaign, campaign.id), manager, enqueue=False) == 0
        # Start-up recovery: the sweep re-sends the orphan, the campaign tick does the rest.
        from clientbook.messaging.outbox import sweep

        sweep(stale_seconds=0, campaign_stalled_after=0)
        for _ in range(5):
            campaigns.campaign_tick(campaign.id, now=utcnow() + timedelta(seconds=10 * (_ + 1)))
        progress = campaigns.campaign_progress(campaign.id)
        assert progress.sent == 3
    expected = [f"campaign:{campaign.id}:{client_id}" for client_id in recipients_of(app, campaign.id)]
    assert sorted(fake.keys()) == sorted(expected)
    assert fake.duplicates == []

def recipients_of(app, campaign_id):
    with app.app_context():
        return db.session.scalars(sa.select(CampaignRecipient.client_id)
                                  .where(CampaignRecipient.campaign_id == campaign_id)).all()

def test_failed_and_skipped_are_summarised(app, sms_shop, fake):
    fake.failures.extend([400])  # not a transient error: fails at once
    with app.app_context():
        ids = make_vips(2)
        manager = db.session.get(User, sms_shop["manager"])
        campaign = make_campaign(manager.id, rate=600)
        campaigns.start_campaign(campaign, manager, enqueue=False)
        db.session.delete(db.session.get(Client, ids[0]))  # deleted before its turn
        db.session.commit()
        campaigns.campaign_tick(campaign.id)
        progress = campaigns.campaign_progress(campaign.id)
        assert (progress.failed, progress.skipped) == (1, 1)
        reasons = dict(progress.skip_reasons)
        assert reasons["The client was deleted."] == 1
        assert any(r.startswith("Twilio 400") for r in reasons)
        assert db.session.get(Campaign, campaign.id).state == "done"

# ---- pages ---------------------------------------------------------------------------------------

def test_campaign_pages_create_preview_send_and_progress(app, client, auth, sms_shop, fake):
    with app.app_context():
        make_vips(2)
    auth.login("manager")
    assert client.get("/messaging/campaigns").status_code == 200
    page = client.get("/messaging/campaigns/new")
    assert page.status_code == 200
    reach = client.get("/messaging/campaigns/reach?tag=vip", headers={"HX-Request": "true"})
    assert b"<strong>2</strong>" in reach.data and b"<html" not in reach.data
    bad = client.post("/messaging/campaigns/new", data={"name": "Spring", "channel": "sms", "body": "Hi {name}",
                                                         "rate_per_minute": "60", "tag": "vip"})
    assert bad.status_code == 422 and b"Unknown placeholder {name}" in bad.data
    created = client.post("/messaging/campaigns/new", data={
        "name": "Spring", "channel": "sms", "body": "Hi {first_name}!", "rate_per_minute": "600", "tag": "vip"})
    assert created.status_code == 303
    detail = client.get(created.headers["Location"])
    assert b"Hi Vip0!" in detail.data and b"Send to 2 clients" in detail.data
    sent = client.post(created.headers["Location"] + "/send")
    assert sent.status_code == 303
    # Immediate mode ran the first tick inline; the rest is scheduled (here: run by hand).
    with app.app_context():
        campaign_id = db.session.scalar(sa.select(Campaign.id))
        campaigns.campaign_tick(campaign_id, now=utcnow() + timedelta(seconds=5))
    progress = client.get(f"/messaging/campaigns/{campaign_id}/progress", headers={"HX-Request": "true"})
    assert progress.status_code == 200 and b"Finished" in progress.data
    assert len(fake.messages) == 2

def test_campaigns_are_for_managers(client, auth):
    auth.login("associate")
    assert client.get("/messaging/campaigns").status_code == 403
    assert client.get("/messaging/campaigns/new").status_code == 403
