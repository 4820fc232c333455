"""The jobs board: one kind of job, a column per stage (a grouped list on a phone), one-tap moves."""
from __future__ import annotations

from flask import abort, request, url_for
from flask_login import current_user, login_required

from clientbook.extensions import db
from clientbook.jobs import bp
from clientbook.jobs.queries import BOARD_COLUMN_SHOWN, board
from clientbook.jobs.records import active_job_types
from clientbook.models import JobType
from clientbook.shop import current_shop, shop_today
from clientbook.web import render

DUE_FILTERS = {"": "Any due date", "overdue": "Overdue", "week": "Due this week"}


def stage_moves(stages) -> dict[int, list]:
    """The one-tap moves offered from each stage: the next stage, and any later closing one."""
    moves = {}
    for index, stage in enumerate(stages):
        later = stages[index + 1:]
        moves[stage.id] = later[:1] + [s for s in later[1:] if s.closing]
    return moves


@bp.get("/jobs")
@login_required
def board_page():
    types = active_job_types()
    type_id = request.args.get("type", type=int)
    job_type = next((t for t in types if t.id == type_id), None) if type_id else (types[0] if types else None)
    if type_id and job_type is None:
        job_type = db.session.get(JobType, type_id)
        if job_type is None:
            abort(404)
    scope = request.args.get("scope") or ("all" if current_user.is_manager else "mine")
    if scope not in ("mine", "all"):
        scope = "all"
    due = request.args.get("due", "")
    if due not in DUE_FILTERS:
        due = ""
    shop = current_shop()
    today = shop_today()
    columns = board(job_type, current_user, shop, mine=scope == "mine", due=due, today=today) if job_type else []
    here = url_for("jobs.board_page", type=job_type.id if job_type else None, scope=scope, due=due or None)
    return render("jobs/board.html", "board", types=types, job_type=job_type, columns=columns, scope=scope, due=due,
                  due_filters=DUE_FILTERS, today=today, here=here, shown=BOARD_COLUMN_SHOWN,
                  moves=stage_moves(job_type.active_stages) if job_type else {})
