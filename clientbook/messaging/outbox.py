"""The outbox: every provider message is a Message row first, then one worker claims and sends it.

    queued --claim--> sending --> sent | failed (reason) | unknown (a person checks)
       ^                 |
       +-- retry later --+   (clear transient errors only; quiet hours)

A claim is a conditional UPDATE whose row count says whether this worker won. Consent and
quiet hours are checked again at that moment, not when the message was written.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from clientbook import signals
from clientbook.extensions import db
from clientbook.messaging import consent
from clientbook.messaging.channels import AmbiguousError, PermanentError, SendResult, TransientError
from clientbook.messaging.quiet_hours import next_allowed_time, zone_for
from clientbook.messaging.settings import channel_configured, channel_enabled
from clientbook.models import CampaignRecipient, Client, Message, PROVIDER_CHANNELS, utcnow
from clientbook.shop import current_shop

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
FINAL_STATES = ("sent", "delivered", "failed", "unknown")


def retry_delay(attempt: int) -> timedelta:
    """Back-off after the n-th failed attempt: 1, 2, 4, 8 ... minutes, at most an hour."""
    return timedelta(minutes=min(60, 2 ** max(0, attempt - 1)))


def queue_message(*, client: Client | None, channel: str, body: str, to_address: str, subject: str = "",
                  user_id: int | None = None, purpose: str = "manual", idempotency_key: str | None = None,
                  template_id: int | None = None, campaign_id: int | None = None,
                  reminder_id: int | None = None, send_after: datetime | None = None) -> tuple[Message, bool]:
    """Write a queued Message. Returns (message, created); an existing key returns the first one.

    The caller commits and then calls enqueue_delivery(message.id).
    """
    if idempotency_key:
        existing = db.session.scalar(sa.select(Message).where(Message.idempotency_key == idempotency_key))
        if existing is not None:
            return existing, False
    message = Message(
        client_id=client.id if client is not None else None, channel=channel, body=body, subject=subject,
        to_address=to_address, user_id=user_id, purpose=purpose, idempotency_key=idempotency_key,
        template_id=template_id, campaign_id=campaign_id, reminder_id=reminder_id, state="queued",
        send_after=send_after,
    )
    try:
        with db.session.begin_nested():
            db.session.add(message)
    except IntegrityError:
        # Another worker wrote the same key a moment ago: theirs is the one.
        existing = db.session.scalar(sa.select(Message).where(Message.idempotency_key == idempotency_key))
        if existing is None:
            raise
        return existing, False
    return message, True


def enqueue_delivery(message_id: int, eta: datetime | None = None) -> None:
    """Hand the message to the queue (messaging.tasks sends it)."""
    signals.delivery_requested.send(current_app._get_current_object(), message_id=message_id, eta=eta)


def claim(message_id: int, now: datetime) -> bool:
    """queued -> sending for exactly one worker. Commits."""
    result = db.session.execute(
        sa.update(Message)
        .where(Message.id == message_id, Message.state == "queued",
               sa.or_(Message.send_after.is_(None), Message.send_after <= now))
        .values(state="sending", claimed_at=now, request_started_at=None,
                attempts=Message.attempts + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


def deliver(message_id: int, now: datetime | None = None) -> str:
    """Claim, re-check, send and record one message. Returns what happened (for logs and tests)."""
    now = now or utcnow()
    if not claim(message_id, now):
        return "not-claimed"
    message = db.session.get(Message, message_id)
    db.session.refresh(message)

    problem = _reason_not_to_send(message)
    if problem:
        _finish(message, "failed", error=problem)
        return "failed"

    allowed_at = _allowed_at(message, now)
    if allowed_at > now:
        # Quiet hours: not an attempt; wait for the window and try then.
        message.state, message.send_after, message.attempts = "queued", allowed_at, message.attempts - 1
        db.session.commit()
        enqueue_delivery(message.id, eta=allowed_at)
        return "deferred"

    request = _provider_request(message)
    message.request_started_at = utcnow()
    db.session.commit()
    # No database transaction is open from here until the answer: with SQLite a worker that
    # held one across a slow provider call would block every other writer.
    try:
        result = _send_through_provider(request)
    except TransientError as exc:
        if message.attempts >= MAX_ATTEMPTS:
            _finish(message, "failed", error=f"Gave up after {message.attempts} attempts: {exc.reason}")
            return "failed"
        retry_at = utcnow() + retry_delay(message.attempts)
        message.state, message.error, message.send_after = "queued", exc.reason[:500], retry_at
        message.request_started_at = None
        db.session.commit()
        enqueue_delivery(message.id, eta=retry_at)
        return "retry"
    except PermanentError as exc:
        _finish(message, "failed", error=exc.reason)
        return "failed"
    except AmbiguousError as exc:
        _finish(message, "unknown", error=exc.reason)
        return "unknown"
    except Exception as exc:  # a bug or an unexpected library error: never resend blindly
        log.exception("Unexpected error sending message %s", message.id)
        _finish(message, "unknown", error=f"Unexpected error while sending: {exc.__class__.__name__}")
        return "unknown"
    message.provider_id = result.provider_id
    _finish(message, "sent", error="")
    return "sent"


def _reason_not_to_send(message: Message) -> str | None:
    if message.channel not in PROVIDER_CHANNELS:
        return "Not a provider channel."
    if message.purpose != "test":
        if message.client_id is None:
            return "The client no longer exists."
        client = db.session.get(Client, message.client_id)
        if client is None:
            return "The client no longer exists."
        problem = consent.why_not(client, message.channel)
        if problem:
            return problem
        if consent.normalized_address(message.channel, consent.address_for(client, message.channel)) != \
                consent.normalized_address(message.channel, message.to_address):
            return "The client's address changed after this message was written."
    else:
        # A test from the Channels page: the channel only needs to be set up, not switched on yet.
        if consent.is_suppressed(message.channel, message.to_address):
            return "This address opted out."
        return None if channel_configured(message.channel) else "This channel is not set up."
    if not channel_enabled(message.channel):
        return "This channel is switched off or not set up."
    return None


def _allowed_at(message: Message, now: datetime) -> datetime:
    if message.purpose == "test":
        return now
    shop = current_shop()
    client = db.session.get(Client, message.client_id)
    zone = zone_for(client.timezone if client else None, shop.timezone if shop else None)
    return next_allowed_time(now, zone, shop.quiet_hours_start if shop else None,
                             shop.quiet_hours_end if shop else None)


def _provider_request(message: Message) -> dict:
    """Everything the provider call needs, as plain values read before the transaction ends."""
    shop = current_shop()
    return {
        "id": message.id, "channel": message.channel, "to": message.to_address, "subject": message.subject,
        "body": message.body, "client_id": message.client_id,
        "idempotency_key": message.idempotency_key or f"message:{message.id}",
        "shop_name": shop.name if shop else "", "postal_address": shop.postal_address if shop else "",
    }


def _send_through_provider(request: dict) -> SendResult:
    from clientbook.messaging.links import unsubscribe_token
    from clientbook.web import external_url

    if request["channel"] == "sms":
        from clientbook.messaging.channels import twilio

        callback = external_url("public.twilio_status", m=request["id"])
        return twilio.send_sms(request["to"], request["body"], status_callback=callback,
                               idempotency_key=request["idempotency_key"])
    from clientbook.messaging.channels import email

    token = unsubscribe_token(request["client_id"], consent.address_hash("email", request["to"]))
    mail = email.build_email(
        to=request["to"], subject=request["subject"], body=request["body"], shop_name=request["shop_name"],
        postal_address=request["postal_address"], unsubscribe_url=external_url("public.unsubscribe", token=token),
    )
    return email.send(mail)


def _finish(message: Message, state: str, error: str) -> None:
    message.state = state
    message.error = (error or "")[:500]
    if state == "sent":
        message.sent_at = utcnow()
    db.session.commit()
    sync_campaign_recipient(message)


def sync_campaign_recipient(message: Message) -> None:
    """Mirror a campaign message's final state onto its recipient row (for the progress view)."""
    if message.campaign_id is None or message.state not in FINAL_STATES:
        return
    db.session.execute(
        sa.update(CampaignRecipient)
        .where(CampaignRecipient.message_id == message.id, CampaignRecipient.state == "queued")
        .values(state="sent" if message.state == "delivered" else message.state, reason=message.error[:200])
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


# ---- housekeeping (periodic task and worker start-up) ----------------------------------

def rescue_stale_sending(now: datetime, stale_seconds: float) -> tuple[int, int]:
    """Rows left in "sending" by a worker that died. Returns (requeued, marked unknown).

    If the provider request never started, sending again is safe; if it did, nobody knows
    whether it went out, so a person decides (never a blind resend).
    """
    cutoff = now - timedelta(seconds=stale_seconds)
    stale = sa.and_(Message.state == "sending", Message.claimed_at <= cutoff)
    requeued = db.session.execute(
        sa.update(Message).where(stale, Message.request_started_at.is_(None))
        .values(state="queued", updated_at=now).execution_options(synchronize_session=False)
    ).rowcount
    unknown_ids = list(db.session.scalars(sa.select(Message.id).where(stale, Message.request_started_at.is_not(None))))
    if unknown_ids:
        db.session.execute(
            sa.update(Message).where(Message.id.in_(unknown_ids), Message.state == "sending")
            .values(state="unknown", updated_at=now,
                    error="The worker stopped while sending; check with the provider before sending again.")
            .execution_options(synchronize_session=False)
        )
    db.session.commit()
    for message in db.session.scalars(sa.select(Message).where(Message.id.in_(unknown_ids))):
        sync_campaign_recipient(message)
    return requeued, len(unknown_ids)


def due_message_ids(now: datetime, limit: int = 500) -> list[int]:
    return list(db.session.scalars(
        sa.select(Message.id).where(
            Message.state == "queued", Message.channel.in_(PROVIDER_CHANNELS),
            sa.or_(Message.send_after.is_(None), Message.send_after <= now),
        ).order_by(Message.id).limit(limit)
    ))


def stale_sending_seconds() -> float:
    return float(current_app.config.get("MESSAGING_STALE_SENDING_SECONDS", 300))


def sweep(now: datetime | None = None, stale_seconds: float | None = None,
          campaign_stalled_after: float | None = None) -> dict:
    """Rescue stale sends, re-enqueue due messages and wake up campaigns whose worker died."""
    from clientbook.messaging.campaigns import kick_stalled_campaigns

    now = now or utcnow()
    requeued, unknown = rescue_stale_sending(now, stale_sending_seconds() if stale_seconds is None else stale_seconds)
    due = due_message_ids(now)
    for message_id in due:
        enqueue_delivery(message_id)
    kicked = kick_stalled_campaigns(now, campaign_stalled_after)
    return {"requeued": requeued, "unknown": unknown, "enqueued": len(due), "campaigns": kicked}


def mark_checked(message: Message, state: str) -> None:
    """A person resolved an "unknown" message: it did go out ("sent") or it did not ("failed")."""
    if message.state != "unknown" or state not in ("sent", "failed"):
        return
    message.state = state
    message.error = "Checked by staff: it went out." if state == "sent" else "Checked by staff: it did not go out."
    if state == "sent" and message.sent_at is None:
        message.sent_at = utcnow()
    # One transaction: in a web request a second one would start deferred (see database.on_begin)
    # and could be refused as busy, leaving the campaign's recipient row behind the message.
    if message.campaign_id:
        db.session.execute(
            sa.update(CampaignRecipient).where(CampaignRecipient.message_id == message.id)
            .values(state=state, reason=message.error).execution_options(synchronize_session=False)
        )
    db.session.commit()


__all__ = ["queue_message", "enqueue_delivery", "deliver", "claim", "sweep", "rescue_stale_sending",
           "retry_delay", "mark_checked"]
