"""When a message may reach a client: inside the shop's allowed hours, in the client's time zone."""
from __future__ import annotations

import zoneinfo
from datetime import datetime, time, timedelta, timezone

DEFAULT_START = time(8, 0)
DEFAULT_END = time(21, 0)


def zone_for(client_tz: str | None, shop_tz: str | None) -> zoneinfo.ZoneInfo:
    """The client's zone when it is a real one, else the shop's, else UTC."""
    for name in (client_tz, shop_tz):
        if name:
            try:
                return zoneinfo.ZoneInfo(name)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                continue
    return zoneinfo.ZoneInfo("UTC")


def _allowed(local: time, start: time, end: time) -> bool:
    if start == end:
        return True  # no quiet hours at all
    if start < end:
        return start <= local < end
    return local >= start or local < end  # a window that runs past midnight


def next_allowed_time(now_utc: datetime, zone: zoneinfo.ZoneInfo,
                      start: time | None = None, end: time | None = None) -> datetime:
    """`now_utc` itself when messages are allowed now, else the next start of the window.

    Naive UTC in, naive UTC out (the way instants are stored).
    """
    start = start or DEFAULT_START
    end = end or DEFAULT_END
    local_now = now_utc.replace(tzinfo=timezone.utc).astimezone(zone)
    if _allowed(local_now.time().replace(tzinfo=None), start, end):
        return now_utc
    candidate_day = local_now.date()
    if local_now.time().replace(tzinfo=None) >= start:
        candidate_day += timedelta(days=1)
    local_start = datetime.combine(candidate_day, start, tzinfo=zone)
    return local_start.astimezone(timezone.utc).replace(tzinfo=None)
