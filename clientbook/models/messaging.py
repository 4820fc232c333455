"""Message templates, the outbox/log, suppression list and campaigns (see the Outreach issue)."""
__all__: list[str] = []
