"""Jobs: repairs, custom orders and sales opportunities on a client, with photos.

Routes: the job page and its actions (views), the board (board), Settings → Jobs
(settings_views), photo files (photos). The card, Today and the timeline show jobs
through templates/jobs/ partials and the data functions in queries.
"""
from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("jobs", __name__)


def init_app(app: Flask) -> None:
    from clientbook.jobs import board, cli, photos, queries, settings_views, views  # noqa: F401  (routes register on bp)
    from clientbook.jobs.messages import JOB_PLACEHOLDERS

    app.register_blueprint(bp)
    app.cli.add_command(cli.export_jobs_command)
    app.jinja_env.globals.update(job_placeholders=JOB_PLACEHOLDERS)
