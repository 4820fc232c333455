"""Importing purchases: each row is an item; rows sharing an order number and client are one purchase.

Clients are found by email, phone or POS id, all pre-loaded into dicts. Orders
already in the book (same client and order number) are skipped, so importing the
same file twice doubles nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask import current_app

from clientbook.contacts import InvalidEmail, normalize_email, normalize_phone
from clientbook.extensions import db
from clientbook.imports.client_rows import Problem, RowReader, is_blank, trailing_blank_start
from clientbook.imports.formats import Format
from clientbook.imports.reading import Table
from clientbook.imports.values import BadValue, clean_cell, parse_day, parse_quantity
from clientbook.imports.writing import Progress, allocate_ids, chunks
from clientbook.models import Client, ClientExternalId, Purchase, PurchaseItem, utcnow
from clientbook.money import parse_money
from clientbook.signals import purchase_recorded


@dataclass
class PlannedPurchase:
    client_id: int
    purchased_on: date
    order_id: str | None
    items: list[dict] = field(default_factory=list)  # description, category, sku, quantity, amount_cents
    rows: list[int] = field(default_factory=list)

    @property
    def total_cents(self) -> int:
        return sum(item["amount_cents"] for item in self.items)


@dataclass
class PurchasePlan:
    format: Format
    purchases: list[PlannedPurchase]
    problems: list[Problem]
    total_rows: int

    @property
    def items(self) -> int:
        return sum(len(p.items) for p in self.purchases)

    @property
    def clients(self) -> int:
        return len({p.client_id for p in self.purchases})

    @property
    def skipped(self) -> int:
        return len({p.row for p in self.problems if p.skipped})

    @property
    def warnings(self) -> int:
        return sum(1 for p in self.problems if not p.skipped)


@dataclass
class PurchaseImportResult:
    purchases: int
    items: int
    skipped: int
    client_ids: list[int]


class ClientFinder:
    """Every way a purchase file may name a client, loaded once."""

    def __init__(self, country: str):
        self.country = country
        target = sa.func.coalesce(Client.merged_into_id, Client.id)
        self.by_email: dict[str, int] = {}
        self.by_phone: dict[str, int] = {}
        for client_id, email, phone, merged in db.session.execute(
            sa.select(target, Client.email, Client.phone, Client.merged_into_id)
            .order_by(Client.merged_into_id.is_(None))  # live clients last, so they win
        ):
            if email:
                self.by_email[email.lower()] = client_id
            if phone:
                self.by_phone[phone] = client_id
        self.by_external: dict[str, int] = {}
        for source, value, client_id in db.session.execute(
            sa.select(ClientExternalId.source, ClientExternalId.value, target).join(Client)
        ):
            self.by_external.setdefault(value, client_id)
            self.by_external[f"{source}:{value}"] = client_id

    def find(self, email: str, phone: str, external_id: str) -> tuple[int | None, str]:
        """(client id, "") or (None, why not)."""
        if external_id and external_id in self.by_external:
            return self.by_external[external_id], ""
        if email:
            try:
                normalised = normalize_email(email)
            except InvalidEmail:
                return None, f"“{email}” is not a valid email address."
            if normalised in self.by_email:
                return self.by_email[normalised], ""
        if phone:
            normalised, _valid = normalize_phone(phone, self.country)
            if normalised in self.by_phone:
                return self.by_phone[normalised], ""
        described = email or phone or external_id
        if not described:
            return None, "No client email, phone or id."
        return None, f"No client found for “{described}”."


def plan_purchases(table: Table, fmt: Format, country: str) -> PurchasePlan:
    reader = RowReader(fmt, table)
    finder = ClientFinder(country)
    already = set(db.session.execute(
        sa.select(Purchase.client_id, Purchase.external_id).where(Purchase.external_id.is_not(None))).tuples())
    problems: list[Problem] = []
    purchases: list[PlannedPurchase] = []
    orders: dict[tuple[int, str], PlannedPurchase] = {}
    order_context: dict[str, tuple[int, date]] = {}  # order number -> (client, date) of its first row
    last = trailing_blank_start(table)

    for number, cells in table.rows[:last]:
        if is_blank(cells):
            problems.append(Problem(number, "Empty row.", skipped=True))
            continue
        get = lambda name: reader.get(cells, name)  # noqa: E731
        order_id = get("order_id")[:120] or None

        named = (get("client_email"), get("client_phone"), get("client_external_id"))
        client_id, why = finder.find(*named)
        if client_id is None and not any(named) and order_id in order_context:
            client_id = order_context[order_id][0]  # exports that name the client on an order's first line only
        if client_id is None:
            problems.append(Problem(number, why, skipped=True))
            continue

        try:
            purchased_on = parse_day(get("purchased_on"), country)
        except BadValue as exc:
            problems.append(Problem(number, f"Date: {exc}", skipped=True))
            continue
        if purchased_on is None:
            if order_id and order_id in order_context:
                purchased_on = order_context[order_id][1]
            else:
                problems.append(Problem(number, "No purchase date.", skipped=True))
                continue

        try:
            amount_text = clean_cell(get("amount"))
            amount = parse_money(amount_text) if amount_text else None
            quantity = parse_quantity(get("quantity"))
        except ValueError as exc:  # BadValue is one too
            problems.append(Problem(number, str(exc), skipped=True))
            continue
        if amount is None:
            amount = 0
            problems.append(Problem(number, "No amount; recorded as 0.", skipped=False))

        if order_id and (client_id, order_id) in already:
            problems.append(Problem(number, f"Order {order_id} is already in the book.", skipped=True))
            continue

        description = (get("description") or get("category") or "Purchase")[:200]
        item = {"description": description, "category": get("category")[:80], "sku": get("sku")[:80],
                "quantity": quantity, "amount_cents": amount}
        if order_id:
            order_context.setdefault(order_id, (client_id, purchased_on))
            purchase = orders.get((client_id, order_id))
            if purchase is None:
                purchase = orders[(client_id, order_id)] = PlannedPurchase(client_id, purchased_on, order_id)
                purchases.append(purchase)
        else:
            purchase = PlannedPurchase(client_id, purchased_on, None)
            purchases.append(purchase)
        purchase.items.append(item)
        purchase.rows.append(number)
    return PurchasePlan(format=fmt, purchases=purchases, problems=problems, total_rows=last)


def write_purchases(plan: PurchasePlan, progress: Progress | None = None) -> PurchaseImportResult:
    now = utcnow()
    done = 0
    for batch in chunks(plan.purchases):
        ids = allocate_ids(Purchase, len(batch))
        db.session.execute(sa.insert(Purchase.__table__), [
            {"id": purchase_id, "client_id": p.client_id, "purchased_on": p.purchased_on,
             "total_cents": p.total_cents, "external_id": p.order_id, "associate_id": None, "created_at": now}
            for purchase_id, p in zip(ids, batch)])
        items = [{"purchase_id": purchase_id, **item} for purchase, purchase_id in zip(batch, ids) for item in purchase.items]
        db.session.execute(sa.insert(PurchaseItem.__table__), items)
        done += len(batch)
        if progress:
            progress(done, len(plan.purchases))
    client_ids = sorted({p.client_id for p in plan.purchases})
    if client_ids:
        purchase_recorded.send(current_app._get_current_object(), client_ids=client_ids)
    return PurchaseImportResult(purchases=len(plan.purchases), items=plan.items, skipped=plan.skipped,
                                client_ids=client_ids)
