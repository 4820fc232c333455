"""Optional email replies: the worker reads the shop's mailbox over IMAP and files the mail of known
clients into their threads.

Config (instance config or CLIENTBOOK_<KEY>): IMAP_HOST, IMAP_PORT (993), IMAP_SECURITY ("ssl",
"starttls" or "none"), IMAP_USER, IMAP_PASSWORD, IMAP_MAILBOX ("INBOX"), IMAP_DAYS (3: how far
back each fetch looks), IMAP_TIMEOUT (seconds, 20).

Each fetch looks at the last few days of mail and skips what it filed before (the Message-ID is
the provider id, unique per direction and channel), so it never depends on read flags that a
person may change in their own mail app. Mail from senders who match no client is left alone:
the shop's address also receives newsletters and suppliers.
"""
from __future__ import annotations

import email
import imaplib
import logging
import re
import ssl
from datetime import datetime, timedelta, timezone
from email import policy
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

import sqlalchemy as sa
from flask import current_app

from clientbook.conversations.threads import file_inbound
from clientbook.extensions import db
from clientbook.messaging import consent
from clientbook.models import Message, utcnow

log = logging.getLogger(__name__)
BATCH = 200


def imap_settings() -> dict:
    config = current_app.config
    security = str(config.get("IMAP_SECURITY", "ssl")).lower()
    return {
        "host": config.get("IMAP_HOST") or "", "port": int(config.get("IMAP_PORT") or (993 if security == "ssl" else 143)),
        "security": security, "user": config.get("IMAP_USER") or "", "password": config.get("IMAP_PASSWORD") or "",
        "mailbox": config.get("IMAP_MAILBOX") or "INBOX", "days": int(config.get("IMAP_DAYS", 3)),
        "timeout": float(config.get("IMAP_TIMEOUT", 20)),
    }


def imap_configured() -> bool:
    settings = imap_settings()
    return bool(settings["host"] and settings["user"])


def _connect(settings: dict) -> imaplib.IMAP4:
    if settings["security"] == "ssl":
        connection = imaplib.IMAP4_SSL(settings["host"], settings["port"], ssl_context=ssl.create_default_context(),
                                       timeout=settings["timeout"])
    else:
        connection = imaplib.IMAP4(settings["host"], settings["port"], timeout=settings["timeout"])
        if settings["security"] == "starttls":
            connection.starttls(ssl_context=ssl.create_default_context())
    connection.login(settings["user"], settings["password"])
    return connection


_MESSAGE_ID = re.compile(rb"<[^<>\s]+>")


def fetch_replies() -> dict:
    """Fetch recent mail and file the new messages of known clients. Returns counts."""
    settings = imap_settings()
    if not imap_configured():
        return {"filed": 0, "skipped": 0, "seen": 0}
    filed = skipped = seen = 0
    connection = _connect(settings)
    try:
        status, _ = connection.select(settings["mailbox"], readonly=True)
        if status != "OK":
            raise imaplib.IMAP4.error(f"Mailbox {settings['mailbox']} not found")
        since = (utcnow() - timedelta(days=settings["days"])).strftime("%d-%b-%Y")
        _, data = connection.uid("SEARCH", None, "SINCE", since)
        uids = (data[0] or b"").split()
        for start in range(0, len(uids), BATCH):
            batch = b",".join(uids[start:start + BATCH]).decode()
            new_uids = _not_yet_filed(connection, batch)
            seen += len(uids[start:start + BATCH]) - len(new_uids)
            for uid in new_uids:
                _, parts = connection.uid("FETCH", uid, "(BODY.PEEK[])")
                raw = next((part[1] for part in parts if isinstance(part, tuple)), None)
                if raw is None:
                    continue
                if _file(email.message_from_bytes(raw, policy=policy.default), uid):
                    filed += 1
                else:
                    skipped += 1
            db.session.commit()
    finally:
        try:
            connection.logout()
        except (imaplib.IMAP4.error, OSError):
            pass
    return {"filed": filed, "skipped": skipped, "seen": seen}


def _not_yet_filed(connection: imaplib.IMAP4, uid_set: str) -> list[str]:
    """UIDs in the set whose Message-ID is not stored yet (only headers are read for this)."""
    _, parts = connection.uid("FETCH", uid_set, "(UID BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
    by_uid: dict[str, str | None] = {}
    for part in parts:
        if not isinstance(part, tuple):
            continue
        uid = re.search(rb"UID (\d+)", part[0])
        found = _MESSAGE_ID.search(part[1] or b"")
        if uid:
            by_uid[uid.group(1).decode()] = found.group(0).decode(errors="replace")[:200] if found else None
    ids = [value for value in by_uid.values() if value]
    known = set(db.session.scalars(sa.select(Message.provider_id).where(
        Message.direction == "in", Message.channel == "email", Message.provider_id.in_(ids)))) if ids else set()
    return [uid for uid, message_id in by_uid.items() if message_id not in known]


def _file(mail: EmailMessage, uid: str) -> bool:
    _name, sender = parseaddr(str(mail.get("From", "")))
    message_id = (str(mail.get("Message-ID", "")).strip() or None)
    if not sender or message_id is None or not consent.clients_with_address("email", sender):
        return False
    received = _sent_at(mail)
    to = ", ".join(address for _n, address in getaddresses([str(mail.get("To", ""))]))
    return file_inbound(channel="email", sender=sender, to=to, body=_text_of(mail),
                        subject=" ".join(str(mail.get("Subject", "")).split()), provider_id=message_id[:200],
                        received_at=None if received is None else min(received, utcnow())) is not None


def _sent_at(mail: EmailMessage) -> datetime | None:
    """The Date header as naive UTC (a date without a zone is taken as UTC), or None."""
    try:
        sent = parsedate_to_datetime(str(mail.get("Date")))
    except (TypeError, ValueError, IndexError):
        return None
    if sent.tzinfo is not None:
        sent = sent.astimezone(timezone.utc).replace(tzinfo=None)
    return sent


def _text_of(mail: EmailMessage) -> str:
    """The plain-text part; an HTML-only mail is kept as its source, shown escaped like any text."""
    part = mail.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        return part.get_content()
    except (LookupError, UnicodeDecodeError):
        return part.get_payload(decode=True).decode("utf-8", errors="replace")
