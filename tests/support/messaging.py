"""Shared helpers for the outreach tests (no tests here)."""
from __future__ import annotations

from datetime import time

import pytest

from clientbook.extensions import db
from clientbook.models import Client, MessageTemplate, MessagingSettings, Shop
from tests.fake_twilio import FakeTwilio

PUBLIC = "https://shop.maison-perle.com"


def make_client(**overrides) -> Client:
    values = {"first_name": "Camille", "last_name": "Martin", "email": "camille@example.com",
              "phone": "+33612345678", "phone_valid": True, "email_opt_in": True, "sms_opt_in": True}
    values.update(overrides)
    client = Client(**values)
    db.session.add(client)
    db.session.commit()
    return client


def make_template(channel: str = "sms", body: str = "Hello {first_name}, {associate_first_name} from {shop_name}.",
                  name: str | None = None, subject: str = "") -> MessageTemplate:
    template = MessageTemplate(name=name or f"Hello by {channel}", channel=channel, body=body, subject=subject)
    db.session.add(template)
    db.session.commit()
    return template


def enable_channels(**flags) -> MessagingSettings:
    settings = db.session.query(MessagingSettings).first() or MessagingSettings()
    for key, value in flags.items():
        setattr(settings, key, value)
    db.session.add(settings)
    db.session.commit()
    return settings


def always_open(shop_id: int | None = None) -> None:
    """Quiet hours off (start == end), so sends happen whatever the clock says."""
    shop = db.session.query(Shop).first()
    shop.quiet_hours_start = time(0, 0)
    shop.quiet_hours_end = time(0, 0)
    db.session.commit()


@pytest.fixture
def fake():
    """A server on 127.0.0.1 that speaks Twilio's Messages API."""
    with FakeTwilio() as server:
        yield server


def point_at_fake_twilio(app, fake) -> None:
    app.config.update(TWILIO_ACCOUNT_SID=fake.account_sid, TWILIO_AUTH_TOKEN=fake.auth_token,
                      TWILIO_FROM="+33100000000", TWILIO_BASE_URL=fake.base_url, TWILIO_TIMEOUT=2,
                      SERVER_URL=PUBLIC)
