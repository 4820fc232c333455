"""Pure date rules: what falls due when. No database, no Flask; tested with tables of cases."""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

# Reminders are created this many days ahead, so the Today list can show "next 7 days".
LOOKAHEAD_DAYS = 7
# After downtime, missed days are caught up, but no further back than this: a birthday
# from two months ago is no reason to call anyone.
CATCH_UP_DAYS = 14


def occurrence_in_year(month: int, day: int, year: int) -> date:
    """The day a recurring (month, day) falls on in `year`; 29 February is 28 February in common years."""
    if month == 2 and day == 29 and not calendar.isleap(year):
        return date(year, 2, 28)
    return date(year, month, day)


def next_occurrence(month: int, day: int, on_or_after: date) -> date:
    """The first occurrence of a recurring date on or after a day."""
    this_year = occurrence_in_year(month, day, on_or_after.year)
    if this_year >= on_or_after:
        return this_year
    return occurrence_in_year(month, day, on_or_after.year + 1)


def days_between(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def date_targets(window_start: date, window_end: date, lead_days: int) -> dict[tuple[int, int], tuple[date, date]]:
    """For a due window, which stored (month, day) pairs are due, mapped to (due day, occurrence).

    A stored 29 February matches 28 February in common years, beside the real 28 February.
    The window is shorter than a year, so each pair appears at most once.
    """
    if (window_end - window_start).days >= 365:
        raise ValueError("A generation window must be shorter than a year.")
    targets: dict[tuple[int, int], tuple[date, date]] = {}
    for due in days_between(window_start, window_end):
        occurrence = due + timedelta(days=lead_days)
        targets[(occurrence.month, occurrence.day)] = (due, occurrence)
        if occurrence.month == 2 and occurrence.day == 28 and not calendar.isleap(occurrence.year):
            targets[(2, 29)] = (due, occurrence)
    return targets


@dataclass(frozen=True)
class GenerationWindow:
    start: date  # first due day to generate (earlier than today when catching up)
    end: date  # last due day (today + look-ahead)


def generation_window(today: date, last_generated_day: date | None,
                      catch_up_days: int = CATCH_UP_DAYS, lookahead_days: int = LOOKAHEAD_DAYS) -> GenerationWindow:
    """Which due days a run for `today` covers.

    Always the whole look-ahead (a purchase logged today may be due in two days), plus
    the days missed since the last run, bounded by `catch_up_days`.
    """
    start = today
    if last_generated_day is not None and last_generated_day < today:
        start = max(last_generated_day + timedelta(days=1), today - timedelta(days=catch_up_days))
    return GenerationWindow(start=start, end=today + timedelta(days=lookahead_days))


def needs_generation(today: date, last_generated_day: date | None) -> bool:
    return last_generated_day is None or last_generated_day < today


DIGEST_WINDOW_HOURS = 8


def digest_due(local: datetime, opening_time: time, window_hours: int = DIGEST_WINDOW_HOURS) -> bool:
    """Is it the morning digest's time in the shop (`local`: the shop's wall-clock time): opened
    today, and not so late that it's pointless?

    (After downtime the digest still goes out late in the morning, but not in the evening.)
    """
    opened = datetime.combine(local.date(), opening_time)
    wall_clock = local.replace(tzinfo=None)
    return opened <= wall_clock < opened + timedelta(hours=window_hours)


def snooze_until(choice: str, today: date, picked: date | None = None) -> date | None:
    """The day a snoozed reminder comes back: tomorrow, a week later, or a picked future day."""
    if choice == "tomorrow":
        return today + timedelta(days=1)
    if choice == "next_week":
        return today + timedelta(days=7)
    if choice == "date" and picked is not None and picked > today:
        return picked
    return None


def snooze_until_from(form, today: date) -> date | None:
    """snooze_until from a posted form (`choice`, and `until` as an ISO day): None when unusable."""
    picked = None
    if form.get("until"):
        try:
            picked = date.fromisoformat(form["until"])
        except ValueError:
            picked = None
    return snooze_until(form.get("choice", "date" if picked else ""), today, picked)
