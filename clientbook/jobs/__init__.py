"""Jobs: repairs, custom orders and sales opportunities on a client, with photos.

Routes: the job page and its actions (views), the board (board), Settings → Jobs
(settings_views), photo files (photos). The card, Today and the timeline show jobs
through templates/jobs/ partials and the data functions in queries.
"""
from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("jobs", __name__)


def init_app(app: Flask) -> None:
    from clientbook.jobs import board, cli, photos, queries, settings_views, today_views, views  # noqa: F401  (routes register on bp)

    from clientbook import signals

    app.register_blueprint(bp)
    app.cli.add_command(cli.export_jobs_command)
    signals.clients_merged.connect(_on_clients_merged)


def _on_clients_merged(sender, kept_id=None, merged_ids=None, **_):
    """Merged duplicates keep their jobs and photos: they move to the card that stays."""
    import sqlalchemy as sa

    from clientbook.extensions import db
    from clientbook.models import Job, Photo

    if kept_id and merged_ids:
        for model in (Job, Photo):
            db.session.execute(sa.update(model).where(model.client_id.in_(merged_ids)).values(client_id=kept_id)
                               .execution_options(synchronize_session=False))
