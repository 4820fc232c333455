"""Reminders: rules a manager sets, the daily generation, the Today list and the morning digest."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from clientbook import signals
    from clientbook.reminders import rules_views, upkeep, views  # noqa: F401  (rules_views adds routes)
    from clientbook.reminders.cli import reminders_cli
    from clientbook.models.reminders import DISMISS_REASONS, REMINDER_OUTCOMES
    from clientbook.reminders.wording import headline, occurrence_day

    app.register_blueprint(views.bp)
    app.cli.add_command(reminders_cli)
    app.jinja_env.globals.update(
        reminder_headline=headline,
        reminder_outcomes=REMINDER_OUTCOMES,
        reminder_dismiss_reasons=DISMISS_REASONS,
        reminder_occasion_day=occurrence_day,
    )
    signals.shop_created.connect(upkeep.on_shop_created)
    signals.client_changed.connect(upkeep.on_client_changed)
    signals.clients_reassigned.connect(upkeep.on_clients_reassigned)
    signals.purchase_recorded.connect(upkeep.on_purchase_recorded)
    signals.clients_merged.connect(upkeep.on_clients_merged)

