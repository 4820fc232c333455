"""Who may be messaged on which channel: consent on the card and the suppression list.

Plain functions; views, tasks and campaigns all ask here before anything goes out.
"""
from __future__ import annotations

import hashlib

import sqlalchemy as sa

from clientbook.contacts import digits
from clientbook.extensions import db
from clientbook.models import Client, Suppression, utcnow

# Which consent and which address each channel needs.
CONSENT_CHANNEL = {
    "sms": "sms", "handoff_sms": "sms", "whatsapp": "sms",
    "email": "email", "handoff_email": "email",
}


def normalized_address(channel: str, address: str | None) -> str:
    """The form an address is compared in: lower-case email, phone digits only."""
    value = (address or "").strip()
    return value.lower() if CONSENT_CHANNEL.get(channel, channel) == "email" else digits(value)


def address_hash(channel: str, address: str | None) -> str:
    kind = CONSENT_CHANNEL.get(channel, channel)
    return hashlib.sha256(f"{kind}:{normalized_address(kind, address)}".encode()).hexdigest()


def address_for(client: Client, channel: str) -> str | None:
    """The client's address on this channel, when there is a usable one."""
    kind = CONSENT_CHANNEL[channel]
    if kind == "email":
        return client.email or None
    return client.phone if client.phone and client.phone_valid else None


def consent_problem(client_facts: dict, channel: str) -> str | None:
    """Why this channel is not allowed, or None. Pure: takes plain facts, so it is easy to table-test.

    client_facts keys: email, phone, phone_valid, email_opt_in, sms_opt_in, suppressed (bool),
    archived (bool), merged (bool).
    """
    kind = CONSENT_CHANNEL.get(channel)
    if kind is None:
        return "Unknown channel."
    if client_facts.get("merged"):
        return "This client was merged into another card."
    if client_facts.get("archived"):
        return "This client is archived."
    if kind == "email":
        if not client_facts.get("email"):
            return "No email address."
        if not client_facts.get("email_opt_in"):
            return "No email consent."
    else:
        if not client_facts.get("phone"):
            return "No phone number."
        if not client_facts.get("phone_valid"):
            return "The phone number is not in international format."
        if not client_facts.get("sms_opt_in"):
            return "No SMS consent."
    if client_facts.get("suppressed"):
        return "This address opted out."
    return None


def is_suppressed(channel: str, address: str | None) -> bool:
    if not address:
        return False
    kind = CONSENT_CHANNEL.get(channel, channel)
    return db.session.scalar(
        sa.select(Suppression.id).where(Suppression.channel == kind,
                                        Suppression.address_hash == address_hash(kind, address))
    ) is not None


def why_not(client: Client, channel: str) -> str | None:
    """Why `client` may not be messaged on `channel` right now, or None when it may."""
    kind = CONSENT_CHANNEL.get(channel)
    address = client.email if kind == "email" else client.phone
    facts = {
        "email": client.email, "phone": client.phone, "phone_valid": client.phone_valid,
        "email_opt_in": client.email_opt_in, "sms_opt_in": client.sms_opt_in,
        "archived": client.archived_at is not None, "merged": client.merged_into_id is not None,
        "suppressed": is_suppressed(channel, address) if kind else False,
    }
    return consent_problem(facts, channel)




def suppress(channel: str, address: str | None, reason: str) -> None:
    """Add an opt-out (idempotent) and revoke consent on every card with this address."""
    if not address:
        return
    kind = CONSENT_CHANNEL.get(channel, channel)
    digest = address_hash(kind, address)
    exists = db.session.scalar(
        sa.select(Suppression.id).where(Suppression.channel == kind, Suppression.address_hash == digest)
    )
    if exists is None:
        db.session.add(Suppression(channel=kind, address_hash=digest, reason=reason[:120]))
    for client in clients_with_address(kind, address):
        revoke_consent(client, kind, reason)


def unsuppress(channel: str, address: str | None, reason: str) -> None:
    """The person opted back in (e.g. replied START): lift the opt-out and restore consent."""
    if not address:
        return
    kind = CONSENT_CHANNEL.get(channel, channel)
    db.session.execute(sa.delete(Suppression).where(
        Suppression.channel == kind, Suppression.address_hash == address_hash(kind, address)))
    for client in clients_with_address(kind, address):
        if kind == "sms":
            client.sms_opt_in, client.sms_opt_in_at, client.sms_opt_in_source = True, utcnow(), reason[:120]
        else:
            client.email_opt_in, client.email_opt_in_at, client.email_opt_in_source = True, utcnow(), reason[:120]


def revoke_consent(client: Client, kind: str, reason: str) -> None:
    if kind == "sms":
        client.sms_opt_in, client.sms_opt_in_at, client.sms_opt_in_source = False, utcnow(), reason[:120]
    else:
        client.email_opt_in, client.email_opt_in_at, client.email_opt_in_source = False, utcnow(), reason[:120]


def clients_with_address(kind: str, address: str) -> list[Client]:
    if kind == "email":
        condition = Client.email == normalized_address("email", address)
    else:
        wanted = normalized_address("sms", address)
        if not wanted:
            return []
        condition = Client.phone.in_(["+" + wanted, wanted])
    return list(db.session.scalars(sa.select(Client).where(condition)))
