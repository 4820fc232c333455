"""The manager's results page: per associate, over a period, outreach, follow-up, replies and sales earned."""
from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

import sqlalchemy as sa
from flask import request

from clientbook.extensions import db
from clientbook.messaging import bp
from clientbook.messaging.attribution import attributed_sales, outreach_filter
from clientbook.models import Message, Reminder
from clientbook.roles import manager_required
from clientbook.shop import current_shop, shop_today, shop_zone
from clientbook.staff import staff_roster
from clientbook.web import render

PERIODS = {"7d": "Last 7 days", "30d": "Last 30 days", "month": "This month", "90d": "Last 90 days"}


@dataclass
class AssociateResults:
    user_id: int | None
    name: str
    outreaches: int = 0
    reminders_done: int = 0
    reminders_on_time: int = 0
    replies: int = 0
    sales_count: int = 0
    sales_cents: int = 0
    by_channel: dict[str, int] = field(default_factory=dict)

    @property
    def on_time_percent(self) -> int | None:
        return round(100 * self.reminders_on_time / self.reminders_done) if self.reminders_done else None


def period_bounds(period: str, today: date) -> tuple[date, date]:
    if period == "month":
        return today.replace(day=1), today
    days = {"7d": 7, "30d": 30, "90d": 90}.get(period, 30)
    return today - timedelta(days=days - 1), today


def _utc_range(start: date, end: date, zone: zoneinfo.ZoneInfo) -> tuple[datetime, datetime]:
    """Shop-local days as naive UTC instants [start 00:00, day after end 00:00)."""
    def to_utc(d: date) -> datetime:
        return datetime.combine(d, time.min, tzinfo=zone).astimezone(timezone.utc).replace(tzinfo=None)
    return to_utc(start), to_utc(end + timedelta(days=1))


def results(start: date, end: date, attribution_days: int, zone: zoneinfo.ZoneInfo) -> tuple[list[AssociateResults], AssociateResults, int]:
    """(rows per associate, shop totals, campaign messages) for shop-local days start..end."""
    since, until = _utc_range(start, end, zone)
    users = staff_roster()
    rows: dict[int | None, AssociateResults] = {u.id: AssociateResults(u.id, u.name) for u in users}
    when = sa.func.coalesce(Message.sent_at, Message.created_at)

    for user_id, channel, count in db.session.execute(
        sa.select(Message.user_id, Message.channel, sa.func.count())
        .where(outreach_filter(), Message.purpose != "campaign", when >= since, when < until)
        .group_by(Message.user_id, Message.channel)
    ):
        row = rows.setdefault(user_id, AssociateResults(user_id, "Unassigned"))
        row.outreaches += count
        row.by_channel[channel] = row.by_channel.get(channel, 0) + count

    for user_id, count in db.session.execute(
        sa.select(Message.user_id, sa.func.count()).where(
            Message.direction == "in", Message.created_at >= since, Message.created_at < until)
        .group_by(Message.user_id)
    ):
        rows.setdefault(user_id, AssociateResults(user_id, "Unassigned")).replies += count

    for user_id, done, on_time in _reminder_counts(start, end):
        row = rows.setdefault(user_id, AssociateResults(user_id, "Unassigned"))
        row.reminders_done, row.reminders_on_time = done, on_time

    for sale in attributed_sales(start, end, attribution_days):
        row = rows.setdefault(sale.user_id, AssociateResults(sale.user_id, "Unassigned"))
        row.sales_count += 1
        row.sales_cents += sale.total_cents

    campaign_messages = db.session.scalar(
        sa.select(sa.func.count()).select_from(Message)
        .where(outreach_filter(), Message.purpose == "campaign", when >= since, when < until)) or 0

    total = AssociateResults(None, "Shop total")
    for row in rows.values():
        total.outreaches += row.outreaches
        total.replies += row.replies
        total.reminders_done += row.reminders_done
        total.reminders_on_time += row.reminders_on_time
        total.sales_count += row.sales_count
        total.sales_cents += row.sales_cents
    visible = [r for r in rows.values()
               if r.outreaches or r.replies or r.reminders_done or r.sales_count
               or any(u.id == r.user_id and u.active for u in users)]
    visible.sort(key=lambda r: (-r.sales_cents, -r.outreaches, r.name))
    return visible, total, campaign_messages


def _reminder_counts(start: date, end: date) -> list[tuple[int | None, int, int]]:
    """(user, reminders completed, of which on or before their due date)."""
    on_time = sa.case((Reminder.completed_on <= Reminder.due_date, 1), else_=0)
    return [tuple(r) for r in db.session.execute(
        sa.select(Reminder.completed_by_id, sa.func.count(), sa.func.sum(on_time))
        .where(Reminder.state == "done", Reminder.completed_on >= start, Reminder.completed_on <= end)
        .group_by(Reminder.completed_by_id)
    )]


def bar_widths(rows: list[AssociateResults]) -> dict[int | None, int]:
    """Each associate's attributed sales as a 0-100 width for the SVG bars (largest = 100)."""
    top = max((r.sales_cents for r in rows), default=0)
    return {r.user_id: (round(100 * r.sales_cents / top) if top else 0) for r in rows}


@bp.get("/messaging/dashboard")
@manager_required
def dashboard():
    shop = current_shop()
    zone = shop_zone()
    today = shop_today()
    period = request.args.get("period", "30d")
    if period not in PERIODS:
        period = "30d"
    start, end = period_bounds(period, today)
    rows, total, campaign_messages = results(start, end, shop.attribution_days, zone)
    outreach_top = max((r.outreaches for r in rows), default=0)
    return render("messaging/dashboard.html", "results", rows=rows, total=total, period=period, periods=PERIODS,
                  start=start, end=end, widths=bar_widths(rows), campaign_messages=campaign_messages,
                  outreach_widths={r.user_id: (round(100 * r.outreaches / outreach_top) if outreach_top else 0)
                                   for r in rows},
                  attribution_days=shop.attribution_days)


__all__ = ["results", "period_bounds", "bar_widths"]
