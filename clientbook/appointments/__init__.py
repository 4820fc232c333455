"""Appointments: clients booked with an associate, the day and week views, and reminders."""
from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("appointments", __name__)


def init_app(app: Flask) -> None:
    from clientbook.appointments import views  # noqa: F401  (routes register on import)
    from clientbook.appointments.timeline import register

    from clientbook import calendar_feed

    app.register_blueprint(bp)
    calendar_feed.init_app(app)
    register()

    @app.context_processor
    def today_context():
        # Today's page draws these at its top; the data is read once, only when it is drawn.
        from flask import g
        from flask_login import current_user

        def today_extras():
            if "today_extras" not in g:
                from clientbook.appointments.today import today_extras as build

                g.today_extras = build(current_user)
            return g.today_extras

        def digest_extras(user, day):
            from clientbook.appointments.today import digest_extras as build

            return build(user, day)

        return {"today_extras": today_extras, "digest_extras": digest_extras}
