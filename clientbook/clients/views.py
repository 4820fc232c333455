"""The client list (search + filters), the header's quick search, new clients, bulk reassignment."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, request, url_for
from flask_login import current_user, login_required

from clientbook.clients import bp
from clientbook.clients.access import can_open_client, sees_whole_book
from clientbook.clients.filters import ClientFilter, filter_conditions
from clientbook.clients.forms import CONSENT_SOURCES, BulkReassignForm, NewClientForm, split_tags
from clientbook.clients.queries import active_preference_keys, all_tags, possible_duplicates
from clientbook.clients.records import assign, reassign_all, set_consent, set_contact, set_tags
from clientbook.clients.search import ClientRow, SearchPage, rows_with_tags, search_clients, select_rows
from clientbook.contacts import normalize_email, normalize_phone
from clientbook.extensions import db
from clientbook.models import Client, User
from clientbook.roles import manager_required
from clientbook.shop import current_shop
from clientbook.staff import active_staff, staff_roster
from clientbook.web import render, wants_partial

PER_PAGE = 20  # keeps a page of results under 8 KB, the budget for one keystroke
DROPDOWN_SIZE = 8


def _page_number() -> int:
    try:
        return max(int(request.args.get("page", 1)), 1)
    except ValueError:
        return 1


def looked_after_elsewhere(q: str, limit: int = 5) -> list[ClientRow]:
    """In a strict shop, the matches an associate may not open: name and who to ask, nothing more.

    So a walk-in looked after by a colleague is never "no match" (and never re-added as new).
    """
    shop = current_shop()
    if not q.strip() or sees_whole_book(current_user, shop):
        return []
    where = [Client.archived_at.is_(None), Client.assigned_to_id.is_not(None), Client.assigned_to_id != current_user.id]
    rows = search_clients(q, country=shop.country, where=where, per_page=limit).clients
    return [ClientRow(id=r.id, first_name=r.first_name, last_name=r.last_name, email=None, phone=None,
                      phone_valid=False, archived_at=None, assigned_to_id=r.assigned_to_id,
                      assigned_to_name=r.assigned_to_name) for r in rows]


def list_page(f: ClientFilter, page: int, per_page: int = PER_PAGE) -> SearchPage:
    """One page of the list: ranked search when something was typed, else name order."""
    shop = current_shop()
    conditions = filter_conditions(f, current_user, shop, with_search=False)
    if f.q.strip():
        return search_clients(f.q, country=shop.country, where=conditions, page=page, per_page=per_page)
    rows = db.session.execute(
        select_rows().where(*conditions).order_by(Client.sort_name, Client.id)
        .offset((page - 1) * per_page).limit(per_page + 1)
    ).all()
    return SearchPage(rows_with_tags(rows[:per_page]), page, per_page, len(rows) > per_page)


@bp.get("")
@login_required
def index():
    shop = current_shop()
    f = ClientFilter.from_args(request.args, current_user, shop)
    results = list_page(f, _page_number())
    target = request.htmx.target or ""
    block = "more" if target.startswith("load-more") else "results"
    context = dict(filter=f, results=results, args=request.args, whole_book=sees_whole_book(current_user, shop),
                   elsewhere=looked_after_elsewhere(f.q) if block == "results" else [])
    if block == "results" and not wants_partial():
        context.update(tags=all_tags(), preference_keys=active_preference_keys(), staff=active_staff(),
                       bulk_form=BulkReassignForm(formdata=None))
    return render("clients/index.html", block, **context)


@bp.get("/search")
@login_required
def quick_search():
    """The header's drop-down of matches; without htmx it is just the list page."""
    q = request.args.get("q", "").strip()
    if not wants_partial():
        return redirect(url_for("clients.index", q=q or None))
    results = SearchPage([], 1, DROPDOWN_SIZE, False)
    if q:
        f = ClientFilter(q=q, scope="all")
        conditions = filter_conditions(f, current_user, current_shop(), with_search=False)
        results = search_clients(q, country=current_shop().country, where=conditions, per_page=DROPDOWN_SIZE)
    return render("clients/_dropdown.html", q=q, results=results, elsewhere=looked_after_elsewhere(q, 3))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    shop = current_shop()
    form = NewClientForm()
    if request.method == "GET":
        form.assigned_to_id.data = current_user.id
    if not current_user.is_manager:
        # Associates add clients to their own book.
        form.assigned_to_id.choices = [(current_user.id, current_user.name)]
        form.assigned_to_id.data = current_user.id
    duplicates = []
    if form.validate_on_submit() and not request.form.get("confirm_new"):
        duplicates = likely_duplicates(form, shop)
    if form.validate_on_submit() and not duplicates:
        client = Client(assigned_to_id=form.assigned_to_id.data)
        db.session.add(client)
        db.session.flush()
        set_contact(client, shop, first_name=form.first_name.data, last_name=form.last_name.data,
                    email=form.email.data, phone=form.phone.data, address=form.address.data,
                    preferred_channel=form.preferred_channel.data)
        set_tags(client, split_tags(form.tags.data))
        for channel in ("email", "sms"):
            if getattr(form, f"{channel}_opt_in").data:
                set_consent(client, channel, True, form.consent_source.data)
        db.session.commit()
        if client.phone and not client.phone_valid:
            flash("Saved. The phone number doesn't look complete; check it when you can.", "warning")
        else:
            flash(f"{client.full_name} is in your client book.", "success")
        return redirect(url_for("clients.card", client_id=client.id), 303)
    return render("clients/new.html", form=form, consent_sources=CONSENT_SOURCES, duplicates=duplicates,
                  status=422 if form.errors else 200)


def likely_duplicates(form: NewClientForm, shop) -> list[tuple[Client, bool]]:
    """Clients this new one may already be (same email or phone, or the same folded name), before saving.

    Each with whether the user may open it; a strict shop names who to ask instead.
    """
    phone, _valid = normalize_phone(form.phone.data, shop.country)
    candidate = Client(first_name=(form.first_name.data or "").strip(), last_name=(form.last_name.data or "").strip(),
                       email=normalize_email(form.email.data), phone=phone)
    return [(found, can_open_client(current_user, found, shop)) for found in possible_duplicates(candidate, limit=5)]


# ---- assignment in bulk (managers) ---------------------------------------------------

def _assigned_counts() -> dict[int | None, int]:
    return dict(db.session.execute(
        sa.select(Client.assigned_to_id, sa.func.count()).where(Client.merged_into_id.is_(None))
        .group_by(Client.assigned_to_id)
    ).all())


@bp.route("/reassign", methods=["GET", "POST"])
@manager_required
def reassign():
    """Move every client of one person to another (e.g. when an associate leaves)."""
    form = BulkReassignForm()
    if form.validate_on_submit():
        moved = reassign_all(form.from_user_id.data, form.to_user_id.data)
        db.session.commit()
        source = db.session.get(User, form.from_user_id.data)
        target = db.session.get(User, form.to_user_id.data) if form.to_user_id.data else None
        flash(f"Moved {moved} client{'s' if moved != 1 else ''} of {source.name} to "
              f"{target.name if target else 'nobody (unassigned)'}.", "success")
        return redirect(url_for("clients.reassign"), 303)
    counts = _assigned_counts()
    people = staff_roster()
    return render("clients/reassign.html", form=form, counts=counts, people=people,
                  status=422 if form.errors else 200)


@bp.post("/assign")
@manager_required
def assign_selected():
    """Assign the clients ticked on the list to one person."""
    ids = [int(i) for i in request.form.getlist("client_ids") if i.isdigit()]
    raw_to = request.form.get("to_user_id", "")
    to_user = db.session.get(User, int(raw_to)) if raw_to.isdigit() else None
    if raw_to and (to_user is None or not to_user.active):
        abort(400)
    if not ids:
        flash("Tick the clients to assign first.", "error")
    else:
        moved = assign(ids, to_user.id if to_user else None)
        db.session.commit()
        flash(f"Assigned {moved} client{'s' if moved != 1 else ''} to {to_user.name if to_user else 'nobody'}.",
              "success")
    back = request.form.get("back", "")
    return redirect(back if back.startswith("/clients") and not back.startswith("//") else url_for("clients.index"), 303)
