"""Which clients a list shows: the filters of the client list, reusable by campaigns.

`ClientFilter.from_args(request.args, user, shop)` reads a query string;
`filtered_clients_query(filter, user, shop)` returns a select of Client with
visibility applied; `filter_conditions()` gives the same as WHERE expressions.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime

import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from clientbook.clients.access import sees_whole_book, visible_clients_filter
from clientbook.clients.queries import lifetime_spend_cents
from clientbook.clients.search import parse_query, terms_condition
from clientbook.models import Client, ClientTag, ImportantDate, Preference, Purchase, Shop, User
from clientbook.shop import shop_today
from clientbook.tags import spellings_of
from clientbook.text import fold

SCOPES = ("mine", "all")


@dataclass
class ClientFilter:
    q: str = ""
    scope: str = "all"  # "all": the store book (what the user may open); "mine": assigned to the signed-in user
    assigned_to_id: int | None = None
    tag: str = ""
    preference_key_id: int | None = None
    preference_value: str = ""
    birthday_month: int | None = None  # 1..12
    no_purchase_since: date | None = None
    last_purchase_before: date | None = None
    last_purchase_after: date | None = None
    min_spend_cents: int | None = None
    include_archived: bool = False
    archived_only: bool = False

    @classmethod
    def from_args(cls, args: MultiDict, user: User, shop: Shop | None) -> ClientFilter:
        """Read a query string; anything malformed is ignored rather than failing the page."""
        default_scope = "all"  # the store book: every client this user may open
        scope = args.get("scope", default_scope)
        birthday = args.get("birthday_month", "")
        if birthday == "this":
            birthday_month = shop_today().month
        else:
            birthday_month = _int(birthday) if _int(birthday) in range(1, 13) else None
        spend = _int(args.get("min_spend", ""))
        archived = args.get("archived", "")
        return cls(
            q=args.get("q", "").strip()[:200],
            scope=scope if scope in SCOPES else default_scope,
            assigned_to_id=_int(args.get("assigned_to", "")),
            tag=args.get("tag", "").strip()[:60],
            preference_key_id=_int(args.get("pref_key", "")),
            preference_value=args.get("pref_value", "").strip()[:200],
            birthday_month=birthday_month,
            no_purchase_since=_date(args.get("no_purchase_since", "")),
            last_purchase_before=_date(args.get("last_purchase_before", "")),
            last_purchase_after=_date(args.get("last_purchase_after", "")),
            min_spend_cents=spend * 100 if spend is not None else None,
            include_archived=archived in ("include", "only"),
            archived_only=archived == "only",
        )

    def is_default_for(self, user: User) -> bool:
        """True when no filter is chosen (the My clients / Store book toggle and the search aside)."""
        default = ClientFilter()
        return all(getattr(self, f.name) == getattr(default, f.name) for f in fields(self) if f.name not in ("q", "scope"))


def _int(value: str | None) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _date(value: str | None) -> date | None:
    try:
        return datetime.strptime((value or "").strip(), "%Y-%m-%d").date()
    except ValueError:
        return None


def filter_conditions(f: ClientFilter, user: User, shop: Shop | None, *, with_search: bool = True) -> list:
    """WHERE expressions on Client for this filter, visibility included (search terms optional)."""
    conditions = [Client.merged_into_id.is_(None), visible_clients_filter(user, shop)]
    if f.archived_only:
        conditions.append(Client.archived_at.is_not(None))
    elif not f.include_archived:
        conditions.append(Client.archived_at.is_(None))
    if f.scope == "mine":
        conditions.append(Client.assigned_to_id == user.id)
    if f.assigned_to_id is not None:
        conditions.append(Client.assigned_to_id == f.assigned_to_id)
    if f.tag:
        conditions.append(sa.exists().where(ClientTag.client_id == Client.id, ClientTag.tag.in_(spellings_of(f.tag))))
    if f.preference_key_id is not None:
        preference = sa.exists().where(Preference.client_id == Client.id, Preference.key_id == f.preference_key_id)
        if f.preference_value:
            preference = preference.where(sa.func.fold(Preference.value) == fold(f.preference_value))
        conditions.append(preference)
    if f.birthday_month is not None:
        conditions.append(sa.exists().where(
            ImportantDate.client_id == Client.id, ImportantDate.kind == "birthday",
            ImportantDate.month == f.birthday_month, ImportantDate.for_whom == "",
        ))
    if f.no_purchase_since is not None:
        conditions.append(~_purchased_from(f.no_purchase_since))
    if f.last_purchase_before is not None:
        conditions.append(sa.or_(sa.exists().where(Purchase.client_id == Client.id), Client.prior_orders > 0))
        conditions.append(~_purchased_from(f.last_purchase_before))
    if f.last_purchase_after is not None:
        conditions.append(_purchased_from(f.last_purchase_after))
    if f.min_spend_cents is not None:
        conditions.append(lifetime_spend_cents() >= f.min_spend_cents)
    if with_search and f.q:
        conditions.append(terms_condition(parse_query(f.q, shop.country if shop else None)))
    return conditions


def _purchased_from(day: date):
    """Bought on or after `day`; orders from before an import count as of the import's day (the latest they can be)."""
    return sa.or_(sa.exists().where(Purchase.client_id == Client.id, Purchase.purchased_on >= day),
                  sa.and_(Client.prior_orders > 0, Client.prior_as_of >= day))


def filtered_clients_query(f: ClientFilter, user: User, shop: Shop | None) -> sa.Select:
    """A select of Client matching the filter (visibility applied), in name order."""
    return (sa.select(Client).where(*filter_conditions(f, user, shop))
            .order_by(Client.sort_name, Client.id))
