"""The worker fetches email replies on a schedule when an IMAP mailbox is configured."""
from __future__ import annotations

import imaplib
import logging

from huey import crontab

from clientbook.tasks import huey, with_app_context

log = logging.getLogger(__name__)


@huey.periodic_task(crontab(minute="*/5"))
@with_app_context
def fetch_email_replies_task() -> dict | None:
    from clientbook.conversations.imap import fetch_replies, imap_configured

    if not imap_configured():
        return None
    try:
        return fetch_replies()
    except (imaplib.IMAP4.error, OSError) as exc:  # the mailbox is down: try again next time
        log.warning("Fetching email replies failed: %s", exc)
        return None
