"""Provider channels. Each send either returns a SendResult or raises one of three errors that
tell the outbox what to do next: try again later, give up, or ask a person."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class SendResult:
    provider_id: str
    status: str = "sent"


class SendError(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class TransientError(SendError):
    """Clearly not sent (connection refused, 429, 5xx): safe to retry with back-off."""


class PermanentError(SendError):
    """The provider refused it for good (bad number, rejected address): no retry."""


class AmbiguousError(SendError):
    """The request went out but no answer came back: it may have been sent. A person checks."""
