"""The client card and every edit on it: one route per action.

Each section is a self-updating component: an htmx GET swaps its edit form in,
the POST saves and swaps the display back (or the form with its errors, 422).
Without JavaScript the same URLs render the whole card and redirect after saving.
Quick actions that change several parts (purchases, notes, dates, wishes) answer
with the whole card body.
"""
from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user, login_required

from clientbook.clients import bp
from clientbook.clients.access import get_client_or_404
from clientbook.roles import manager_required
from clientbook.shop import current_shop, shop_today
from clientbook.clients.forms import (
    CONSENT_SOURCES, AssignForm, ConsentForm, ContactForm, DateForm, NoteForm, PurchaseForm,
    TagsForm, WishlistForm, preferences_form, split_tags,
)
from clientbook.clients.merge import MergeError, merge_clients
from clientbook.clients.card import ClientCard
from clientbook.clients.queries import active_preference_keys
from clientbook.clients.records import (
    add_date, add_note, add_purchase, add_wish, assign, remove_date, set_archived, set_consent, set_contact,
    set_preferences, set_tags,
)
from clientbook.clients.search import search_clients
from clientbook.contacts import format_phone
from clientbook.extensions import db
from clientbook.models import Client, ImportantDate, WishlistItem, utcnow
from clientbook.form_tokens import first_submission
from clientbook.web import render, wants_partial

SECTIONS = ("contact", "tags", "consent", "preferences", "assignment", "dates", "wishlist", "timeline", "summary",
            "panel")
MAX_ITEM_ROWS = 30


# ---- rendering -----------------------------------------------------------------------

class CardForms:
    """The card's forms: the ones passed in (with errors), else blank ones made on first use."""

    def __init__(self, card: ClientCard, given: dict):
        self._card = card
        self._given = given

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        if name not in self._given:
            self._given[name] = _blank_form(name, self._card)
        return self._given[name]


def _blank_form(name: str, card: ClientCard):
    """A form filled from what the card shows (its data object), not from the client's relationships."""
    client = card.client
    if name == "contact":
        form = ContactForm(formdata=None, obj=client, prefix="contact")
        form.phone.data = format_phone(client.phone) if client.phone_valid else client.phone
        form.preferred_channel.data = client.preferred_channel or ""
        return form
    if name == "tags":
        return TagsForm(formdata=None, prefix="tags", data={"tags": ", ".join(card.tags)})
    if name == "consent":
        return ConsentForm(formdata=None, prefix="consent", data={
            "email_opt_in": client.email_opt_in, "email_source": client.email_opt_in_source,
            "sms_opt_in": client.sms_opt_in, "sms_source": client.sms_opt_in_source})
    if name == "preferences":
        return preferences_form(card.preference_keys, {key.id: value for key, value in card.preference_rows},
                                formdata=None)
    if name == "assignment":
        return AssignForm(formdata=None, prefix="assign", data={"assigned_to_id": client.assigned_to_id})
    if name == "date":
        return DateForm(formdata=None, prefix="date")
    if name == "wish":
        return WishlistForm(formdata=None, prefix="wish")
    if name == "note":
        return NoteForm(formdata=None, prefix="note")
    if name == "purchase":
        form = PurchaseForm(formdata=None, prefix="purchase",
                            data={"purchased_on": shop_today(), "associate_id": current_user.id})
        # One item row to start (most purchases are one piece); "Another item" adds more.
        rows = min(max(request.args.get("rows", 1, type=int), 1), MAX_ITEM_ROWS)
        while len(form.items) < rows:
            form.items.append_entry()
        return form
    raise AttributeError(name)


def card_response(client: Client, block: str | None = None, *, editing: str | None = None, status: int = 200,
                  changed: str | None = None, **forms):
    """The card (or one block of it). `changed`: the section the page moves focus to after a redraw."""
    card = ClientCard(client, current_shop(), current_user, full_history=request.args.get("history") == "all")
    return render("clients/card.html", block, status=status, client=client, card=card, editing=editing,
                  forms=CardForms(card, forms), consent_sources=CONSENT_SOURCES, changed=changed)


def saved(client: Client, block: str, changed: str | None = None):
    """After a change: the updated part for htmx, or back to the card (303) for a plain form."""
    if wants_partial():
        return card_response(client, block, changed=changed)
    return redirect(url_for("clients.card", client_id=client.id, _anchor=block if block != "card" else None), 303)


def invalid(client: Client, block: str, editing: str, **forms):
    return card_response(client, block, editing=editing, status=422, changed=editing, **forms)


def editable_client(client_id: int) -> Client:
    """The client for a change: access enforced; a merged card takes no more edits."""
    client = get_client_or_404(client_id)
    if client.merged_into_id is not None:
        abort(409)
    return client


# ---- the card ------------------------------------------------------------------------

@bp.get("/<int:client_id>")
@login_required
def card(client_id: int):
    client = get_client_or_404(client_id)
    if client.merged_into_id is not None:
        flash(f"{client.full_name} was merged into this card.", "info")
        return redirect(url_for("clients.card", client_id=client.merged_into_id))
    return card_response(client)


@bp.get("/<int:client_id>/sections/<section>")
@login_required
def section(client_id: int, section: str):
    """One section in display mode (what "Cancel" swaps back in)."""
    if section not in SECTIONS:
        abort(404)
    client = get_client_or_404(client_id)
    if not wants_partial():
        return redirect(url_for("clients.card", client_id=client.id, _anchor=section))
    return card_response(client, section)


# ---- contact, tags, consent, preferences -------------------------------------------------

@bp.get("/<int:client_id>/contact/edit")
@login_required
def edit_contact(client_id: int):
    return card_response(editable_client(client_id), "contact", editing="contact")


@bp.post("/<int:client_id>/contact")
@login_required
def save_contact(client_id: int):
    client = editable_client(client_id)
    form = ContactForm(prefix="contact")
    if not form.validate_on_submit():
        return invalid(client, "contact", "contact", contact=form)
    set_contact(client, current_shop(), first_name=form.first_name.data, last_name=form.last_name.data,
                email=form.email.data, phone=form.phone.data, address=form.address.data,
                preferred_channel=form.preferred_channel.data)
    db.session.commit()
    return saved(client, "contact")


@bp.get("/<int:client_id>/tags/edit")
@login_required
def edit_tags(client_id: int):
    return card_response(editable_client(client_id), "tags", editing="tags")


@bp.post("/<int:client_id>/tags")
@login_required
def save_tags(client_id: int):
    client = editable_client(client_id)
    form = TagsForm(prefix="tags")
    if not form.validate_on_submit():
        return invalid(client, "tags", "tags", tags=form)
    set_tags(client, split_tags(form.tags.data))
    db.session.commit()
    return saved(client, "tags")


@bp.get("/<int:client_id>/consent/edit")
@login_required
def edit_consent(client_id: int):
    return card_response(editable_client(client_id), "consent", editing="consent")


@bp.post("/<int:client_id>/consent")
@login_required
def save_consent(client_id: int):
    client = editable_client(client_id)
    form = ConsentForm(prefix="consent")
    if not form.validate_on_submit():
        return invalid(client, "consent", "consent", consent=form)
    set_consent(client, "email", form.email_opt_in.data, form.email_source.data)
    set_consent(client, "sms", form.sms_opt_in.data, form.sms_source.data)
    db.session.commit()
    return saved(client, "consent")


@bp.get("/<int:client_id>/preferences/edit")
@login_required
def edit_preferences(client_id: int):
    return card_response(editable_client(client_id), "preferences", editing="preferences")


@bp.post("/<int:client_id>/preferences")
@login_required
def save_preferences(client_id: int):
    client = editable_client(client_id)
    keys = active_preference_keys()
    form = preferences_form(keys, {}, formdata=request.form)
    if not form.validate_on_submit():
        return invalid(client, "preferences", "preferences", preferences=form)
    set_preferences(client, {key.id: form[f"key_{key.id}"].data for key in keys})
    db.session.commit()
    return saved(client, "preferences")


# ---- assignment, archive (managers) ------------------------------------------------------

@bp.get("/<int:client_id>/assignment/edit")
@manager_required
def edit_assignment(client_id: int):
    return card_response(editable_client(client_id), "assignment", editing="assignment")


@bp.post("/<int:client_id>/assignment")
@manager_required
def save_assignment(client_id: int):
    client = editable_client(client_id)
    form = AssignForm(prefix="assign")
    if not form.validate_on_submit():
        return invalid(client, "assignment", "assignment", assignment=form)
    assign([client.id], form.assigned_to_id.data)
    db.session.commit()
    db.session.refresh(client)
    return saved(client, "assignment")


@bp.post("/<int:client_id>/claim")
@login_required
def claim(client_id: int):
    """"Look after this client": anyone takes an unassigned (e.g. imported) client in one tap."""
    client = editable_client(client_id)
    if client.assigned_to_id not in (None, current_user.id):
        if wants_partial():
            return card_response(client, "assignment", status=409)
        flash(f"{client.assigned_to.name} already looks after {client.full_name}.", "error")
        return redirect(url_for("clients.card", client_id=client.id), 303)
    assign([client.id], current_user.id)
    db.session.commit()
    db.session.refresh(client)
    return saved(client, "assignment")


@bp.post("/<int:client_id>/archive")
@manager_required
def archive(client_id: int):
    client = editable_client(client_id)
    set_archived(client, True)
    db.session.commit()
    flash(f"{client.full_name} is archived: hidden from lists and search until restored.", "success")
    return _to_card(client)


@bp.post("/<int:client_id>/unarchive")
@manager_required
def unarchive(client_id: int):
    client = editable_client(client_id)
    set_archived(client, False)
    db.session.commit()
    flash(f"{client.full_name} is back in the client book.", "success")
    return _to_card(client)


def _to_card(client: Client):
    from clientbook.web import hx_redirect

    return hx_redirect(url_for("clients.card", client_id=client.id))


# ---- important dates -----------------------------------------------------------------------

@bp.get("/<int:client_id>/dates/new")
@login_required
def new_date(client_id: int):
    return card_response(editable_client(client_id), "dates", editing="dates")


@bp.post("/<int:client_id>/dates")
@login_required
def add_important_date(client_id: int):
    client = editable_client(client_id)
    form = DateForm(prefix="date")
    if not form.validate_on_submit():
        return invalid(client, "card", "dates", date=form)
    add_date(client, kind=form.kind.data, month=form.month.data, day=form.day.data, year=form.year.data,
             label=form.label.data, for_whom=form.for_whom.data)
    db.session.commit()
    return saved(client, "card", changed="dates")


@bp.post("/<int:client_id>/dates/<int:date_id>/delete")
@login_required
def delete_date(client_id: int, date_id: int):
    client = editable_client(client_id)
    important = db.session.get(ImportantDate, date_id)
    if important is None or important.client_id != client.id:
        abort(404)
    remove_date(client, important)
    db.session.commit()
    return saved(client, "card")


# ---- wish list -------------------------------------------------------------------------------

@bp.get("/<int:client_id>/wishlist/new")
@login_required
def new_wish(client_id: int):
    return card_response(editable_client(client_id), "wishlist", editing="wishlist")


@bp.post("/<int:client_id>/wishlist")
@login_required
def add_wishlist_item(client_id: int):
    client = editable_client(client_id)
    form = WishlistForm(prefix="wish")
    if not form.validate_on_submit():
        return invalid(client, "card", "wishlist", wish=form)
    add_wish(client, current_user, form.description.data, form.note.data)
    db.session.commit()
    return saved(client, "card", changed="wishlist")


def _wish_of(client: Client, item_id: int) -> WishlistItem:
    item = db.session.get(WishlistItem, item_id)
    if item is None or item.client_id != client.id:
        abort(404)
    return item


@bp.post("/<int:client_id>/wishlist/<int:item_id>/fulfilled")
@login_required
def fulfil_wish(client_id: int, item_id: int):
    client = editable_client(client_id)
    item = _wish_of(client, item_id)
    item.fulfilled_at = None if request.form.get("fulfilled") == "0" else (item.fulfilled_at or utcnow())
    db.session.commit()
    return saved(client, "wishlist")


@bp.post("/<int:client_id>/wishlist/<int:item_id>/delete")
@login_required
def delete_wish(client_id: int, item_id: int):
    client = editable_client(client_id)
    db.session.delete(_wish_of(client, item_id))
    db.session.commit()
    return saved(client, "card")


# ---- notes and purchases -----------------------------------------------------------------------

@bp.post("/<int:client_id>/notes")
@login_required
def add_client_note(client_id: int):
    client = editable_client(client_id)
    form = NoteForm(prefix="note")
    if not form.validate_on_submit():
        return invalid(client, "card", "note", note=form)
    if first_submission():
        add_note(client, current_user, form.body.data)
        db.session.commit()
    return saved(client, "card", changed="timeline")


@bp.get("/<int:client_id>/purchases/new")
@login_required
def new_purchase(client_id: int):
    return card_response(editable_client(client_id), "panel", editing="purchase")


@bp.get("/<int:client_id>/purchases/item-row")
@login_required
def purchase_item_row(client_id: int):
    """One more empty item row for the purchase form (htmx appends it)."""
    client = editable_client(client_id)
    index = max(0, min(request.args.get("index", 3, type=int), MAX_ITEM_ROWS - 1))
    if not wants_partial():
        return redirect(url_for("clients.new_purchase", client_id=client.id, rows=index + 1))
    form = PurchaseForm(formdata=None, prefix="purchase")
    while len(form.items) <= index:
        form.items.append_entry()
    # The "Another item" link comes along out of band so its next click asks for the next index.
    return render("clients/_purchase_item.html", item=form.items[index], index=index + 1, client=client, oob=True)


@bp.post("/<int:client_id>/purchases")
@login_required
def add_client_purchase(client_id: int):
    client = editable_client(client_id)
    form = PurchaseForm(prefix="purchase")
    if not form.validate_on_submit():
        return invalid(client, "card", "purchase", purchase=form)
    items = [{"description": item.description.data, "category": item.category.data, "sku": item.sku.data,
              "amount_cents": item.amount_cents} for item in form.filled_items()]
    if first_submission():
        add_purchase(client, purchased_on=form.purchased_on.data, associate_id=form.associate_id.data, items=items)
        db.session.commit()
    if not wants_partial():
        flash("Purchase saved.", "success")
    return saved(client, "card", changed="timeline")


# ---- merge (managers) ------------------------------------------------------------------------------

@bp.route("/<int:client_id>/merge", methods=["GET", "POST"])
@manager_required
def merge(client_id: int):
    client = editable_client(client_id)
    shop = current_shop()
    error = None
    if request.method == "POST":
        ids = [int(i) for i in request.form.getlist("merged_ids") if i.isdigit()]
        try:
            kept = merge_clients(client.id, ids, current_user)
        except MergeError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            db.session.commit()
            flash(f"Merged {len(ids)} duplicate{'s' if len(ids) != 1 else ''} into {kept.full_name}.", "success")
            return redirect(url_for("clients.card", client_id=kept.id), 303)
    q = request.args.get("q", "").strip()
    found = []
    if q:
        found = [row for row in search_clients(q, country=shop.country, per_page=15,
                                                where=[Client.archived_at.is_(None)]).clients if row.id != client.id]
    card = ClientCard(client, shop, current_user)
    return render("clients/merge.html", "candidates", client=client, card=card, q=q, found=found, error=error,
                  status=422 if error else 200)
