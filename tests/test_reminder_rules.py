"""Rule evaluation as plain functions: tables of cases, no database."""
from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

import pytest

from clientbook.reminders import rules


@pytest.mark.parametrize("month, day, year, expected", [
    (2, 29, 2028, date(2028, 2, 29)),  # leap year: the real day
    (2, 29, 2027, date(2027, 2, 28)),  # common year: 28 February
    (2, 29, 2100, date(2100, 2, 28)),  # century, not a leap year
    (2, 29, 2000, date(2000, 2, 29)),  # 400-year leap year
    (12, 31, 2026, date(2026, 12, 31)),
    (1, 1, 2027, date(2027, 1, 1)),
])
def test_occurrence_in_year(month, day, year, expected):
    assert rules.occurrence_in_year(month, day, year) == expected


@pytest.mark.parametrize("start, end, lead, expected_pairs", [
    # a common-year window containing 28 February matches stored 28/2 and 29/2
    (date(2027, 2, 28), date(2027, 2, 28), 0, {(2, 28): (date(2027, 2, 28), date(2027, 2, 28)),
                                                (2, 29): (date(2027, 2, 28), date(2027, 2, 28))}),
    # a leap year keeps them apart
    (date(2028, 2, 28), date(2028, 2, 29), 0, {(2, 28): (date(2028, 2, 28), date(2028, 2, 28)),
                                                (2, 29): (date(2028, 2, 29), date(2028, 2, 29))}),
    # year end with a lead time: due 31 Dec for 14 January
    (date(2026, 12, 31), date(2026, 12, 31), 14, {(1, 14): (date(2026, 12, 31), date(2027, 1, 14))}),
])
def test_date_targets(start, end, lead, expected_pairs):
    assert rules.date_targets(start, end, lead) == expected_pairs


def test_date_targets_refuse_a_window_of_a_year():
    with pytest.raises(ValueError):
        rules.date_targets(date(2026, 1, 1), date(2027, 1, 1), 0)


@pytest.mark.parametrize("now_utc, tz, opening, expected", [
    # 10:00 in Paris is 09:00 UTC in winter, 08:00 UTC in summer (after the DST change)
    (datetime(2026, 3, 27, 8, 30), "Europe/Paris", time(10, 0), False),
    (datetime(2026, 3, 27, 9, 0), "Europe/Paris", time(10, 0), True),
    (datetime(2026, 3, 30, 8, 0), "Europe/Paris", time(10, 0), True),
    (datetime(2026, 3, 30, 7, 59), "Europe/Paris", time(10, 0), False),
    # Kiritimati opens at 09:00 local = 19:00 UTC the day before
    (datetime(2026, 6, 1, 19, 0), "Pacific/Kiritimati", time(9, 0), True),
    (datetime(2026, 6, 1, 18, 45), "Pacific/Kiritimati", time(9, 0), False),
    # Pago Pago opens at 09:00 local = 20:00 UTC the same day
    (datetime(2026, 6, 1, 20, 15), "Pacific/Pago_Pago", time(9, 0), True),
    # not in the evening: a digest at 19:00 is pointless
    (datetime(2026, 6, 1, 17, 0), "Europe/Paris", time(10, 0), False),
])
def test_digest_due(now_utc, tz, opening, expected):
    local = now_utc.replace(tzinfo=timezone.utc).astimezone(ZoneInfo(tz))
    assert rules.digest_due(local, opening) is expected


@pytest.mark.parametrize("today, last, start, end", [
    (date(2026, 3, 10), None, date(2026, 3, 10), date(2026, 3, 17)),  # first run
    (date(2026, 3, 10), date(2026, 3, 9), date(2026, 3, 10), date(2026, 3, 17)),  # daily
    (date(2026, 3, 10), date(2026, 3, 6), date(2026, 3, 7), date(2026, 3, 17)),  # off for 3 days
    (date(2026, 3, 10), date(2025, 3, 6), date(2026, 2, 24), date(2026, 3, 17)),  # off for a year: bounded
    (date(2026, 3, 10), date(2026, 3, 10), date(2026, 3, 10), date(2026, 3, 17)),  # forced re-run
])
def test_generation_window(today, last, start, end):
    window = rules.generation_window(today, last)
    assert (window.start, window.end) == (start, end)


@pytest.mark.parametrize("choice, picked, expected", [
    ("tomorrow", None, date(2026, 12, 31)),
    ("next_week", None, date(2027, 1, 6)),
    ("date", date(2027, 2, 1), date(2027, 2, 1)),
    ("date", date(2026, 12, 30), None),  # not in the past or today
    ("date", None, None),
    ("whenever", None, None),
])
def test_snooze_until(choice, picked, expected):
    assert rules.snooze_until(choice, date(2026, 12, 30), picked) == expected
