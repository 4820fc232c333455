"""Reminder rules and reminders (see the Reminders issue)."""
__all__: list[str] = []
