"""How a reminder reads to people: "Anna's birthday in 14 days — wife of Marc Dupont"."""
from __future__ import annotations

from datetime import date, timedelta

from clientbook.models import ImportantDate, Reminder

# "wife Anna" in ImportantDate.for_whom reads as relation + name.
RELATIONS = {
    "wife", "husband", "partner", "spouse", "fiancée", "fiancee", "fiancé", "fiance", "girlfriend", "boyfriend",
    "son", "daughter", "mother", "father", "mum", "mom", "dad", "sister", "brother", "friend", "grandmother",
    "grandfather", "grandson", "granddaughter", "niece", "nephew", "aunt", "uncle", "child",
}


def split_for_whom(for_whom: str) -> tuple[str, str]:
    """("wife", "Anna") from "wife Anna"; ("", "Anna") when no relation is named."""
    words = (for_whom or "").split(maxsplit=1)
    if len(words) == 2 and words[0].casefold().rstrip(":,") in RELATIONS:
        return words[0].rstrip(":,"), words[1]
    return "", (for_whom or "").strip()


def occasion_name(important: ImportantDate) -> str:
    if important.kind == "custom":
        return (important.label or "special day").lower()
    return important.kind


def occurrence_day(reminder: Reminder) -> date | None:
    """The day of the occasion itself, from occurrences like "d42@2026-12-05"."""
    _, _, day = (reminder.occurrence or "").rpartition("@")
    try:
        return date.fromisoformat(day)
    except ValueError:
        return None


def relative_phrase(day: date, today: date) -> str:
    days = (day - today).days
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days == -1:
        return "was yesterday"
    if days < 0:
        return f"was {-days} days ago"
    return f"in {days} days"


def _days_ago(day: date, today: date) -> str:
    days = (today - day).days
    if days <= 0:
        return "today"
    return "yesterday" if days == 1 else f"{days} days ago"


def headline(reminder: Reminder, today: date) -> str:
    """Why to get in touch, worded for the person doing it, relative to today."""
    rule = reminder.rule
    if reminder.kind == "purchase" and rule is not None:
        bought_on = reminder.due_date - timedelta(days=rule.days)
        return f"{rule.name}: bought {_days_ago(bought_on, today)}"
    if reminder.kind == "lapsed":
        last = occurrence_day(reminder)
        if last is not None:
            return f"No purchase for {(today - last).days} days"
        return reminder.reason
    important = reminder.important_date
    occurs = occurrence_day(reminder)
    if important is None or occurs is None or reminder.kind not in ("birthday", "anniversary", "custom"):
        return reminder.reason
    relation, name = split_for_whom(important.for_whom)
    whose = name or reminder.client.first_name or "Their"
    text = f"{whose}’s {occasion_name(important)} {relative_phrase(occurs, today)}"
    if relation:
        text += f" — {relation} of {reminder.client.full_name}"
    return text


def occasion_label(reminder: Reminder) -> str:
    """For a message to the client: "your birthday", "your wife Anna's birthday", "Anna's birthday"."""
    return date_label(reminder.important_date)


def date_label(important: ImportantDate | None) -> str:
    """occasion_label for an important date itself (no reminder needed)."""
    if important is None:
        return ""
    relation, name = split_for_whom(important.for_whom)
    occasion = occasion_name(important)
    if relation:
        return f"your {relation} {name}’s {occasion}"
    if name:
        return f"{name}’s {occasion}"
    return f"your {occasion}"
