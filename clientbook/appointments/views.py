"""Book an appointment from the card or Today, the day and week views, outcomes and hand-off reminders."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import abort, flash, make_response, request, url_for
from jinja2_fragments.flask import render_block
from flask_login import current_user, login_required

from clientbook.appointments import bp, booking
from clientbook.appointments.forms import AppointmentForm
from clientbook.appointments.reminders import handoff_key
from clientbook.clients.access import get_client_or_404
from clientbook.clients.filters import ClientFilter, filter_conditions
from clientbook.clients.search import search_clients
from clientbook.extensions import db
from clientbook.messaging import consent
from clientbook.messaging.settings import enabled_channels
from clientbook.messaging.views import record_handoff
from clientbook.models import APPOINTMENT_OUTCOMES, Appointment, Job, User, utcnow
from clientbook.shop import current_shop, shop_today, shop_zone
from clientbook.staff import active_staff
from clientbook.web import htmx_only, hx_redirect, render, safe_next, vary_on_htmx, wants_partial

PICK_SIZE = 8
OUTCOME_LABELS = {"attended": "Attended", "no_show": "No-show", "rescheduled": "Rescheduled"}


def open_jobs(client_id: int) -> list[Job]:
    return list(db.session.scalars(sa.select(Job).where(Job.client_id == client_id, Job.closed_at.is_(None))
                                   .order_by(Job.created_at.desc()).limit(50)))


def get_appointment_or_404(appointment_id: int) -> Appointment:
    appointment = db.session.get(Appointment, appointment_id)
    if appointment is None:
        abort(404)
    if not (current_user.is_manager or booking.may_see_client(current_user, appointment)):
        abort(403)
    return appointment


def _form_context(client, form, found_conflicts, zone, next_url) -> dict:
    return {"client": client, "form": form, "conflicts": found_conflicts, "zone": zone,
            "to_local": booking.to_local, "next_url": next_url}


@bp.route("/clients/<int:client_id>/appointments/new", methods=["GET", "POST"])
@login_required
def new(client_id: int):
    client = get_client_or_404(client_id)
    zone = shop_zone()
    # Booked from Today: saving (or Cancel) goes back there; from the card, back to the card.
    next_url = safe_next(request.values.get("next"), url_for("clients.card", client_id=client.id))
    form = AppointmentForm(staff=active_staff(), jobs=open_jobs(client.id))
    if request.method == "GET":
        form.associate_id.data = client.assigned_to_id or current_user.id
        form.day.data = form.day.data or shop_today() + timedelta(days=1)
    found = []
    if form.validate_on_submit():
        starts_at = booking.to_utc(form.day.data, form.start.data, zone)
        found = booking.conflicts(form.associate_id.data, starts_at, form.duration_minutes.data)
        if not found or form.confirm.data == "1":
            appointment = Appointment(
                client_id=client.id, associate_id=form.associate_id.data, starts_at=starts_at,
                duration_minutes=form.duration_minutes.data, purpose=form.purpose.data,
                notes=(form.notes.data or "").strip(), job_id=form.job_id.data or None,
                created_by_id=current_user.id,
            )
            db.session.add(appointment)
            db.session.commit()
            flash(f"{form.purpose.data.capitalize()} with {client.full_name} booked for "
                  f"{booking.when_words(starts_at, zone, utcnow())}.", "success")
            return hx_redirect(next_url)
        form.confirm.data = "1"  # the next submit books anyway
    status = 422 if request.method == "POST" else 200
    return render("appointments/new.html", "booking_form", status=status,
                  **_form_context(client, form, found, zone, next_url))


@bp.get("/appointments/book")
@login_required
def pick_client():
    """Today's "Book": find the client first, then the same booking form as from the card."""
    q = request.args.get("q", "").strip()[:200]
    results = None
    if q:
        conditions = filter_conditions(ClientFilter(q=q, scope="all"), current_user, current_shop(), with_search=False)
        results = search_clients(q, country=current_shop().country, where=conditions, per_page=PICK_SIZE)
    next_url = safe_next(request.args.get("next"), url_for("reminders.today"))
    return render("appointments/pick_client.html", "matches" if wants_partial() else None, q=q, results=results,
                  next_url=next_url)


@bp.get("/clients/<int:client_id>/appointments/conflicts")
@login_required
@htmx_only
def check_conflicts(client_id: int):
    """Live warning while booking: the chosen associate's overlapping appointments."""
    get_client_or_404(client_id)
    zone = shop_zone()
    try:
        day = date.fromisoformat(request.args.get("day", ""))
        start = datetime.strptime(request.args.get("start", ""), "%H:%M").time()
        minutes = min(max(int(request.args.get("duration_minutes", "30")), 5), 8 * 60)
        associate_id = int(request.args.get("associate_id", ""))
    except ValueError:
        found = []
    else:
        found = booking.conflicts(associate_id, booking.to_utc(day, start, zone), minutes)
    # Always a fragment: only the booking form asks for it.
    return vary_on_htmx(make_response(render_block("appointments/new.html", "conflict_list", conflicts=found,
                                                   zone=zone, to_local=booking.to_local)))


@bp.get("/appointments/<int:appointment_id>")
@login_required
def show(appointment_id: int):
    appointment = get_appointment_or_404(appointment_id)
    zone = shop_zone()
    return render("appointments/show.html", None, appointment=appointment, zone=zone, to_local=booking.to_local,
                  outcome_labels=OUTCOME_LABELS, started=appointment.starts_at <= utcnow(),
                  when=booking.when_words(appointment.starts_at, zone, utcnow()))


@bp.post("/appointments/<int:appointment_id>/outcome")
@login_required
def outcome(appointment_id: int):
    appointment = get_appointment_or_404(appointment_id)
    value = request.form.get("outcome", "")
    if value not in APPOINTMENT_OUTCOMES:
        abort(400)
    if appointment.starts_at > utcnow() and value != "rescheduled":
        abort(409)  # attended / no-show only once the time has come
    booking.set_outcome(appointment, value)
    db.session.commit()
    flash(f"Marked {OUTCOME_LABELS[value].lower()}.", "success")
    if value == "rescheduled":
        return hx_redirect(url_for("appointments.new", client_id=appointment.client_id))
    return hx_redirect(url_for("appointments.show", appointment_id=appointment.id))


@bp.post("/appointments/<int:appointment_id>/cancel")
@login_required
def cancel(appointment_id: int):
    appointment = get_appointment_or_404(appointment_id)
    appointment.cancelled_at = appointment.cancelled_at or utcnow()
    db.session.commit()
    flash("Appointment cancelled.", "success")
    return hx_redirect(url_for("clients.card", client_id=appointment.client_id))


@bp.post("/appointments/<int:appointment_id>/remind")
@login_required
def remind(appointment_id: int):
    """The Today row's hand-off: the associate texts (or emails) the reminder from their own phone."""
    appointment = get_appointment_or_404(appointment_id)
    client = appointment.client
    channel = next((c for c in ("handoff_sms", "whatsapp", "handoff_email")
                    if c in enabled_channels() and consent.why_not(client, c) is None), None)
    if channel is None:
        abort(409)
    shop = current_shop()
    body = booking.reminder_text(appointment, shop.name if shop else "the shop", shop_zone(), utcnow())
    message, link = record_handoff(client, channel, "Your appointment", body, None, None, handoff_key(appointment.id))
    return render("messaging/handoff_open.html", "opened", client=client, message=message, link=link, reminder=None)


# ---- day and week views ------------------------------------------------------------------------------

def _who() -> tuple[str, User | None]:
    value = request.args.get("who", "me")
    if value == "shop":
        return "shop", None
    if value.isdigit() and len(value) < 12:
        person = db.session.get(User, int(value))
        if person is None:
            abort(404)
        return "person", person
    return "person", current_user


@bp.get("/appointments")
@login_required
def calendar():
    zone = shop_zone()
    view = "day" if request.args.get("view") == "day" else "week"
    try:
        day = date.fromisoformat(request.args.get("day", "")) if request.args.get("day") else shop_today()
    except ValueError:
        day = shop_today()
    scope, person = _who()
    first = day if view == "day" else booking.week_start(day)
    length = 1 if view == "day" else 7
    start, end = booking.day_range(first, length, zone)
    rows = booking.between(start, end, person.id if person else None)
    staff = active_staff()
    days = [first + timedelta(days=i) for i in range(length)]
    if view == "day" and scope == "shop":
        # Tablet: one column per associate (on a phone the columns stack into a list).
        columns = [(p.name, [a for a in rows if a.associate_id == p.id]) for p in staff]
        unassigned = [a for a in rows if a.associate_id is None]
        columns = [c for c in columns if c[1]]
        if unassigned:
            columns.append(("Nobody yet", unassigned))
    else:
        columns = [(d, [a for a in rows if booking.to_local(a.starts_at, zone).date() == d]) for d in days]
    step = timedelta(days=length)
    return render("appointments/calendar.html", "calendar", view=view, day=day, scope=scope, person=person,
                  columns=columns, staff=staff, zone=zone, to_local=booking.to_local, prev_day=first - step,
                  next_day=first + step, today=shop_today(), days=days,
                  may_see=lambda a: booking.may_see_client(current_user, a), outcome_labels=OUTCOME_LABELS)
