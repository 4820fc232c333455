"""The Today list, one route per reminder action, and the reminders section of the client card."""
from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, g, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from clientbook.clients.access import can_open_client, get_client_or_404
from clientbook.extensions import db
from clientbook.jobs.queries import today_jobs
from clientbook.models import Client, Reminder, User
from clientbook.mail import mail_configured
from clientbook.navigation import nav_counts, recount
from clientbook.reminders import actions, today as queries
from clientbook.reminders.forms import FollowUpForm
from clientbook.reminders.rules import snooze_until, snooze_until_from
from clientbook.shop import current_shop, shop_today
from clientbook.staff import active_staff
from clientbook.web import htmx_only, render, safe_next, vary_on_htmx, wants_partial

bp = Blueprint("reminders", __name__)


# ---- helpers shared with templates ------------------------------------------------------

# Stand-ins for ids while url_for builds one URL pattern per action, once per request: a list of
# fifty rows then costs a few string formats per row instead of a dozen url_for calls.
_REMINDER_ID, _CLIENT_ID = 987654321, 987654329
_ROW_ENDPOINTS = {
    "show": "reminders.show", "complete": "reminders.complete", "snooze": "reminders.snooze",
    "dismiss": "reminders.dismiss", "reopen": "reminders.reopen", "reassign": "reminders.reassign",
    "card": "clients.card", "send": "messaging.compose", "book": "appointments.new",
}


@dataclass(frozen=True, slots=True)
class RowLinks:
    """Where a reminder row's links and forms go. card / send are None when that feature is absent."""
    show: str
    complete: str
    snooze: str
    dismiss: str
    reopen: str
    reassign: str
    card: str | None
    send: str | None
    book: str | None  # an appointment with the client, back to Today after


def _row_url_patterns() -> dict[str, str | None]:
    if "reminder_url_patterns" not in g:
        ids = {"reminder_id": _REMINDER_ID, "client_id": _CLIENT_ID}
        patterns: dict[str, str | None] = {}
        for name, endpoint in _ROW_ENDPOINTS.items():
            wanted = ({"client_id"} if name in ("card", "book") else {"client_id", "reminder_id"} if name == "send"
                      else {"reminder_id"})
            extra = {"next": url_for("reminders.today")} if name == "book" else {}
            url = url_for(endpoint, **{key: ids[key] for key in wanted}, **extra)
            patterns[name] = url.replace(str(_REMINDER_ID), "{reminder_id}").replace(str(_CLIENT_ID), "{client_id}")
        g.reminder_url_patterns = patterns
    return g.reminder_url_patterns


bp.add_app_template_filter(queries.by_client, "by_client")


@bp.app_template_global("reminder_links")
def row_links(reminder: Reminder) -> RowLinks:
    """The row's URLs, the same url_for would give, from this request's patterns."""
    ids = {"reminder_id": reminder.id, "client_id": reminder.client_id}
    return RowLinks(**{name: pattern.format(**ids) if pattern else None
                       for name, pattern in _row_url_patterns().items()})


def _safe_next(default: str) -> str:
    return safe_next(request.form.get("next") or request.args.get("next"), default)


def _reminder_for_action(reminder_id: int) -> Reminder:
    reminder = db.session.get(Reminder, reminder_id)
    # Someone else's reminder is "not found": its existence is none of the caller's business.
    if (reminder is None or not actions.may_act_on(current_user, reminder)
            or not can_open_client(current_user, reminder.client, current_shop())):
        abort(404)
    return reminder


def _row_response(reminder: Reminder, error: str | None = None, status: int = 200, moved: bool = False):
    """htmx: the row, changed in place, plus the navigation badge (out of band). Plain forms: back to the list."""
    if not wants_partial():
        if error:
            return render("error.html", title="Not saved", message=error, status=422)
        return redirect(_safe_next(url_for("reminders.today")), 303)
    recount()
    body = render_template(
        "reminders/_row.html", reminder=reminder, today=shop_today(), error=error,
        last_bought=queries.last_bought([reminder.client_id]),
        staff=active_staff() if current_user.is_manager else [],
        context=request.form.get("context", "today"), back_url=_safe_next(url_for("reminders.today")),
        moved=moved,
    ) + render_template("reminders/_badge.html", oob=True)
    return vary_on_htmx(make_response(body, status))


# ---- Today ------------------------------------------------------------------------------

@bp.get("/today")
@login_required
def today():
    day = shop_today()
    who = request.args.get("who", "")
    owner: User | None = current_user
    if who and who != str(current_user.id):
        if not current_user.is_manager:
            abort(403)
        if who == "queue":
            owner = None
        elif who.isdigit():
            owner = db.get_or_404(User, int(who))
        else:
            abort(404)
    listing = queries.today_list(owner.id if owner else None, day, show_all=request.args.get("all", ""))
    if owner is not None and owner.id == current_user.id:
        # The badge counts overdue + due today, which the list has just counted.
        nav_counts().know_due_reminders(listing.overdue_total + listing.totals["today"])
    staff = active_staff() if current_user.is_manager else []
    # A manager's own Today also holds the shop queue: the reminders nobody owns are theirs to hand out.
    queue = (queries.today_list(None, day, show_all=request.args.get("all", ""))
             if current_user.is_manager and not who else None)
    return render(
        "reminders/today.html", "today_list", listing=listing, owner=owner, today=day, staff=staff, queue=queue,
        viewing_queue=owner is None, viewing_self=owner is not None and owner.id == current_user.id,
        timeliness=queries.timeliness(day) if current_user.is_manager else {},
        due_counts=queries.due_counts_by_owner(day) if current_user.is_manager else {},
        back_url=request.full_path.rstrip("?"),
        jobs_today=today_jobs(owner.id if owner else None, day),
        mail_ready=not current_user.digest_enabled or mail_configured(),
    )


@bp.post("/today/digest")
@login_required
def set_digest():
    current_user.digest_enabled = request.form.get("digest_enabled") == "1"
    db.session.commit()
    if wants_partial():
        return render("reminders/today.html", "digest_toggle", mail_ready=not current_user.digest_enabled or mail_configured())
    return redirect(url_for("reminders.today"), 303)


# ---- one route per action ------------------------------------------------------------------

ROW_MODES = ("", "done", "snooze", "dismiss", "reassign")


@bp.get("/reminders/<int:reminder_id>")
@login_required
def show(reminder_id: int):
    """A reminder row with one action's choices open (htmx swaps it in place; plain links get a page)."""
    reminder = _reminder_for_action(reminder_id)
    mode = request.args.get("mode", "")
    if mode not in ROW_MODES or (mode == "reassign" and not current_user.is_manager):
        abort(404)
    context = dict(
        reminder=reminder, mode=mode, today=shop_today(), last_bought=queries.last_bought([reminder.client_id]),
        staff=active_staff() if current_user.is_manager else [],
        context=request.args.get("context", "today"), back_url=_safe_next(url_for("reminders.today")),
    )
    if wants_partial():
        return vary_on_htmx(make_response(render_template("reminders/_row.html", **context)))
    return render("reminders/reminder.html", **context)


@bp.post("/reminders/<int:reminder_id>/done")
@login_required
def complete(reminder_id: int):
    reminder = _reminder_for_action(reminder_id)
    try:
        actions.complete(reminder, request.form.get("outcome", ""), current_user, shop_today())
    except actions.ActionError as error:
        return _row_response(reminder, str(error), 422)
    db.session.commit()
    return _row_response(reminder)


@bp.post("/reminders/<int:reminder_id>/snooze")
@login_required
def snooze(reminder_id: int):
    reminder = _reminder_for_action(reminder_id)
    try:
        actions.snooze(reminder, snooze_until_from(request.form, shop_today()), shop_today())
    except actions.ActionError as error:
        return _row_response(reminder, str(error), 422)
    db.session.commit()
    return _row_response(reminder)


@bp.post("/reminders/<int:reminder_id>/dismiss")
@login_required
def dismiss(reminder_id: int):
    reminder = _reminder_for_action(reminder_id)
    try:
        actions.dismiss(reminder, request.form.get("reason", ""), current_user, shop_today(),
                        request.form.get("note", ""))
    except actions.ActionError as error:
        return _row_response(reminder, str(error), 422)
    db.session.commit()
    return _row_response(reminder)


@bp.post("/reminders/<int:reminder_id>/reopen")
@login_required
def reopen(reminder_id: int):
    reminder = _reminder_for_action(reminder_id)
    actions.reopen(reminder)
    db.session.commit()
    return _row_response(reminder)


@bp.post("/reminders/<int:reminder_id>/reassign")
@login_required
def reassign(reminder_id: int):
    if not current_user.is_manager:
        abort(403)
    reminder = _reminder_for_action(reminder_id)
    owner_id = request.form.get("owner_id", "")
    owner = None
    if owner_id and owner_id != "queue":
        owner = db.session.get(User, int(owner_id)) if owner_id.isdigit() else None
        if owner is None:
            return _row_response(reminder, "Choose someone on the staff.", 422)
    try:
        actions.reassign(reminder, owner)
    except actions.ActionError as error:
        return _row_response(reminder, str(error), 422)
    db.session.commit()
    return _row_response(reminder, moved=True)


@bp.post("/reminders/all/<action>")
@login_required
def act_on_all(action: str):
    """Done or Snooze for every reminder of one client's Today row, all or none."""
    if action not in ("done", "snooze"):
        abort(404)
    ids = [int(value) for value in request.form.getlist("reminder_id") if value.isdigit()]
    if not ids:
        abort(400)
    day = shop_today()
    reminders = [_reminder_for_action(reminder_id) for reminder_id in ids]
    try:
        for reminder in reminders:
            if action == "done":
                actions.complete(reminder, request.form.get("outcome", ""), current_user, day)
            else:
                actions.snooze(reminder, snooze_until(request.form.get("choice", ""), day, None), day)
    except actions.ActionError as error:
        db.session.rollback()
        return render("error.html", title="Not saved", message=str(error), status=422)
    db.session.commit()
    return redirect(_safe_next(url_for("reminders.today")), 303)


# ---- the client card's reminders section ------------------------------------------------------

def follow_up_form(client: Client, formdata=None) -> FollowUpForm:
    default_owner = client.assigned_to_id or current_user.id
    form = FollowUpForm(formdata=formdata, staff=active_staff(), today=shop_today(),
                        owner_id=default_owner, due_date=shop_today())
    return form


def _card_section(client: Client, form: FollowUpForm | None, status: int = 200):
    return vary_on_htmx(make_response(render_template(
        "reminders/_card_section.html", client=client, followup_form=form, **_card_section_data(client)), status))


def _card_section_data(client: Client) -> dict:
    return {"today": shop_today(), "open_reminders": queries.open_for_client(client.id)}


@bp.get("/reminders/client/<int:client_id>")
@login_required
@htmx_only
def client_section(client_id: int):
    client = get_client_or_404(client_id)
    return _card_section(client, follow_up_form(client) if request.args.get("add") else None)


@bp.get("/reminders/client/<int:client_id>/follow-up")
@login_required
def follow_up_page(client_id: int):
    """The follow-up form as a page of its own, for browsers without htmx."""
    client = get_client_or_404(client_id)
    return render("reminders/follow_up.html", client=client, followup_form=follow_up_form(client),
                  **_card_section_data(client))


@bp.post("/reminders/client/<int:client_id>")
@login_required
def add_follow_up(client_id: int):
    client = get_client_or_404(client_id)
    form = FollowUpForm(staff=active_staff(), today=shop_today())
    if not form.validate_on_submit():
        if not wants_partial():
            return render("reminders/follow_up.html", client=client, followup_form=form, status=422,
                          **_card_section_data(client))
        return _card_section(client, form, 422)
    actions.add_follow_up(client.id, form.reason.data, form.due_date.data, form.owner_id.data or None,
                          current_user)
    db.session.commit()
    if wants_partial():
        response = _card_section(client, follow_up_form(client))
        recount()
        response.set_data(response.get_data(as_text=True) + render_template("reminders/_badge.html", oob=True))
        return response
    return redirect(_safe_next(url_for("clients.card", client_id=client.id)), 303)
