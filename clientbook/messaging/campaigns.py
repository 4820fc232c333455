"""Campaigns: one message to a segment of the book, sent throttled and resumable.

Starting a campaign writes one CampaignRecipient row per client in the segment. A chain of
"tick" tasks then works through them: each tick refills a token bucket (rate per minute),
turns that many pending recipients into queued Messages (idempotency key per campaign and
client) and delivers them. A killed worker loses at most the tick it was running; the next
worker start picks the campaign up again from its recipient rows.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from werkzeug.datastructures import MultiDict

from clientbook import signals
from clientbook.clients.filters import ClientFilter, filtered_clients_query
from clientbook.extensions import db
from clientbook.messaging import consent
from clientbook.messaging.drafts import render_text
from clientbook.models import Campaign, CampaignRecipient, Client, Shop, User, utcnow
from clientbook.shop import current_shop

BURST_SECONDS = 3  # how much unused rate a tick may catch up on
MIN_TICK_SECONDS = 1.0  # the task scheduler's resolution
IDLE_TICK_SECONDS = 60.0  # only quiet-hours messages left: look again in a minute
STALLED_AFTER_SECONDS = 30  # a sending campaign without a tick for this long lost its worker


# ---- segments ------------------------------------------------------------------------

def segment_args(segment_json: str) -> MultiDict:
    try:
        data = json.loads(segment_json or "{}")
    except ValueError:
        data = {}
    items = []
    for key, value in (data.items() if isinstance(data, dict) else []):
        for item in value if isinstance(value, list) else [value]:
            items.append((key, str(item)))
    return MultiDict(items)


def segment_json_from(args: MultiDict) -> str:
    return json.dumps({key: [v for v in args.getlist(key) if v != ""] for key in args
                       if key not in ("csrf_token", "name", "channel", "template_id", "subject", "body",
                                      "rate_per_minute")
                       and any(v != "" for v in args.getlist(key))}, sort_keys=True)


def segment_client_ids(args: MultiDict, user: User, shop: Shop | None) -> sa.Select:
    """SELECT client ids in the segment, using the client list's own filters."""
    client_filter = ClientFilter.from_args(args, user, shop)
    return filtered_clients_query(client_filter, user, shop).with_only_columns(Client.id).order_by(None)


@dataclass
class Reach:
    total: int
    by_channel: dict[str, int]  # clients that may be messaged on each channel after consent


def segment_reach(args: MultiDict, user: User, shop: Shop | None) -> Reach:
    ids = segment_client_ids(args, user, shop).subquery()
    total = db.session.scalar(sa.select(sa.func.count()).select_from(ids)) or 0
    reach = {}
    for channel in ("sms", "email"):
        reach[channel] = db.session.scalar(
            sa.select(sa.func.count()).select_from(Client)
            .where(Client.id.in_(sa.select(ids.c[0])), *reachable_conditions(channel))
        ) or 0
    return Reach(total=total, by_channel=reach)


def reachable_conditions(channel: str) -> list:
    """Consent and a usable address, as SQL (suppressions are checked per client at send time too)."""
    if channel == "email":
        return [Client.email_opt_in.is_(True), Client.email.is_not(None), Client.email != ""]
    return [Client.sms_opt_in.is_(True), Client.phone.is_not(None), Client.phone_valid.is_(True)]


# ---- throttling (plain functions) --------------------------------------------------------

def refill_tokens(tokens: float, rate_per_minute: int, elapsed_seconds: float) -> float:
    """Token bucket: `rate_per_minute` tokens a minute, never more than BURST_SECONDS' worth."""
    capacity = max(1.0, rate_per_minute * BURST_SECONDS / 60)
    return min(capacity, tokens + max(0.0, elapsed_seconds) * rate_per_minute / 60)


def seconds_until_next_token(tokens: float, rate_per_minute: int) -> float:
    missing = max(0.0, 1.0 - tokens)
    return max(MIN_TICK_SECONDS, missing * 60 / max(1, rate_per_minute))


# ---- starting, ticking, resuming ------------------------------------------------------------

def start_campaign(campaign: Campaign, user: User, enqueue: bool = True) -> int:
    """Write the recipient rows (once) and start sending. Returns the number of recipients."""
    if campaign.state != "draft":
        return 0
    shop = current_shop()
    ids = db.session.scalars(segment_client_ids(segment_args(campaign.segment_json), user, shop)).all()
    db.session.execute(sa.insert(CampaignRecipient), [
        {"campaign_id": campaign.id, "client_id": client_id, "state": "pending"} for client_id in sorted(set(ids))
    ]) if ids else None
    campaign.state = "sending"
    campaign.started_at = utcnow()
    campaign.heartbeat_at = None
    campaign.throttle_tokens = 1.0
    db.session.commit()
    if enqueue:
        kick(campaign.id)
    return len(set(ids))


def kick(campaign_id: int) -> None:
    """Start the campaign's ticks on the queue (messaging.tasks runs them)."""
    signals.campaign_started.send(current_app._get_current_object(), campaign_id=campaign_id)


def campaign_tick(campaign_id: int, now: datetime | None = None) -> float | None:
    """Send what the rate allows now. Returns seconds until the next tick, or None to stop."""
    now = now or utcnow()
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None or campaign.state != "sending":
        return None
    last = campaign.heartbeat_at
    if last is not None and (now - last).total_seconds() < MIN_TICK_SECONDS / 2:
        return None  # another tick chain is alive and just ran: let that one carry on
    tokens = refill_tokens(campaign.throttle_tokens, campaign.rate_per_minute,
                           (now - last).total_seconds() if last else 0.0)
    # Compare-and-set on the heartbeat: of two concurrent ticks only one goes on.
    won = db.session.execute(
        sa.update(Campaign).where(Campaign.id == campaign.id, Campaign.state == "sending",
                                  Campaign.heartbeat_at.is_(None) if last is None else Campaign.heartbeat_at == last)
        .values(heartbeat_at=now).execution_options(synchronize_session=False)
    ).rowcount == 1
    db.session.commit()
    if not won:
        return None

    sent_now = 0
    while tokens >= 1:
        recipient = db.session.scalar(
            sa.select(CampaignRecipient).where(CampaignRecipient.campaign_id == campaign.id,
                                               CampaignRecipient.state == "pending")
            .order_by(CampaignRecipient.id).limit(1)
        )
        if recipient is None:
            break
        message_id = _prepare(campaign, recipient)
        if message_id is None:
            continue  # skipped: costs no token
        tokens -= 1
        sent_now += 1
        from clientbook.messaging.outbox import deliver

        deliver(message_id)
    db.session.execute(sa.update(Campaign).where(Campaign.id == campaign.id)
                       .values(throttle_tokens=tokens).execution_options(synchronize_session=False))
    db.session.commit()

    if _finished(campaign.id):
        db.session.execute(sa.update(Campaign).where(Campaign.id == campaign.id, Campaign.state == "sending")
                           .values(state="done", finished_at=utcnow()))
        db.session.commit()
        return None
    if _pending_count(campaign.id) == 0:
        return IDLE_TICK_SECONDS  # only messages waiting for quiet hours to end
    return seconds_until_next_token(tokens, campaign.rate_per_minute)


def _prepare(campaign: Campaign, recipient: CampaignRecipient) -> int | None:
    """pending -> queued with a Message, or -> skipped with a reason. Commits."""
    from clientbook.messaging.outbox import queue_message
    from clientbook.messaging.settings import channel_enabled

    client = db.session.get(Client, recipient.client_id) if recipient.client_id else None
    problem = None
    if client is None:
        problem = "The client was deleted."
    elif not channel_enabled(campaign.channel):
        problem = "This channel is switched off or not set up."
    else:
        problem = consent.why_not(client, campaign.channel)
    if problem:
        recipient.state, recipient.reason = "skipped", problem
        db.session.commit()
        return None
    shop = current_shop()
    associate = campaign.created_by if campaign.created_by else None
    body = render_text(campaign.body, client, client.assigned_to or associate, shop)
    subject = render_text(campaign.subject, client, client.assigned_to or associate, shop)
    message, _created = queue_message(
        client=client, channel=campaign.channel, body=body, subject=subject,
        to_address=consent.address_for(client, campaign.channel) or "",
        user_id=client.assigned_to_id or campaign.created_by_id, purpose="campaign",
        idempotency_key=f"campaign:{campaign.id}:{client.id}", template_id=campaign.template_id,
        campaign_id=campaign.id,
    )
    db.session.flush()
    recipient.state, recipient.message_id = "queued", message.id
    db.session.commit()
    return message.id


def _pending_count(campaign_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(CampaignRecipient).where(
        CampaignRecipient.campaign_id == campaign_id, CampaignRecipient.state == "pending")) or 0


def _finished(campaign_id: int) -> bool:
    open_count = db.session.scalar(sa.select(sa.func.count()).select_from(CampaignRecipient).where(
        CampaignRecipient.campaign_id == campaign_id, CampaignRecipient.state.in_(("pending", "queued"))))
    return not open_count


def kick_stalled_campaigns(now: datetime, stalled_after: float | None = None) -> int:
    """Restart tick chains of sending campaigns whose last tick is too old (their worker died)."""
    if stalled_after is None:
        stalled_after = float(current_app.config.get("CAMPAIGN_STALLED_AFTER_SECONDS", STALLED_AFTER_SECONDS))
    cutoff = now - timedelta(seconds=stalled_after)
    ids = db.session.scalars(sa.select(Campaign.id).where(
        Campaign.state == "sending", sa.or_(Campaign.heartbeat_at.is_(None), Campaign.heartbeat_at <= cutoff)
    )).all()
    for campaign_id in ids:
        kick(campaign_id)
    return len(ids)


def pause_campaign(campaign: Campaign) -> None:
    if campaign.state == "sending":
        campaign.state = "paused"
        db.session.commit()


def resume_campaign(campaign: Campaign) -> None:
    if campaign.state == "paused":
        campaign.state = "sending"
        campaign.heartbeat_at = None
        db.session.commit()
        kick(campaign.id)


# ---- progress ------------------------------------------------------------------------------

@dataclass
class Progress:
    total: int
    pending: int
    queued: int
    sent: int
    failed: int
    unknown: int
    skipped: int
    skip_reasons: list[tuple[str, int]]

    @property
    def done(self) -> int:
        return self.sent + self.failed + self.unknown + self.skipped

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else 100


def campaign_progress(campaign_id: int) -> Progress:
    counts = dict(db.session.execute(
        sa.select(CampaignRecipient.state, sa.func.count()).where(CampaignRecipient.campaign_id == campaign_id)
        .group_by(CampaignRecipient.state)
    ).all())
    reasons = db.session.execute(
        sa.select(CampaignRecipient.reason, sa.func.count()).where(
            CampaignRecipient.campaign_id == campaign_id, CampaignRecipient.state.in_(("skipped", "failed")))
        .group_by(CampaignRecipient.reason).order_by(sa.func.count().desc())
    ).all()
    return Progress(
        total=sum(counts.values()), pending=counts.get("pending", 0), queued=counts.get("queued", 0),
        sent=counts.get("sent", 0), failed=counts.get("failed", 0), unknown=counts.get("unknown", 0),
        skipped=counts.get("skipped", 0), skip_reasons=[(r or "Unknown reason", n) for r, n in reasons],
    )


def campaign_rate_default() -> int:
    return int(current_app.config.get("CAMPAIGN_RATE_PER_MINUTE", 60))


__all__ = ["start_campaign", "campaign_tick", "campaign_progress", "segment_reach", "segment_client_ids",
           "refill_tokens", "seconds_until_next_token", "kick_stalled_campaigns"]
