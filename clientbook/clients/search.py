"""Finding clients as you type: names, phone numbers, email addresses and tags.

Every query word becomes a term; a client matches when each term matches one of
its ClientSearchToken rows (words are ANDed). A term matches by prefix, written
as a range `token >= p AND token < p_next`, so it is a B-tree range scan on both
SQLite and PostgreSQL.

Ranking: clients whose name words equal the typed words come first ("Anna"
before "Annabelle"), then the rest; each group by last name, first name.

Two query shapes, chosen per request from a cheap count of matching tokens:
a rare prefix is fastest driven from the token index (then sorted), a common
prefix ("a", "ma") is fastest walking clients in name order and stopping after
one page. Either way a keystroke costs a few milliseconds on 50 000 clients.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import phonenumbers
import sqlalchemy as sa
from sqlalchemy.orm import aliased

from clientbook.contacts import digits, fold
from clientbook.extensions import db
from clientbook.models import Client, ClientSearchToken, ClientTag, User
from clientbook.search_index import words

# Above this many matching tokens, walking clients in name order beats sorting matches.
COMMON_PREFIX_TOKENS = 2000
_PHONE_QUERY = re.compile(r"^[\d\s+().\-/]+$")


@dataclass
class SearchTerm:
    """One typed word: any of `prefixes` matches; `exact` is the token that counts as an exact name match."""

    prefixes: list[str]
    exact: list[str] = field(default_factory=list)

    @property
    def is_name_word(self) -> bool:
        return bool(self.exact)


@dataclass
class ClientRow:
    """What a result row shows, read as plain columns (cheaper than ORM objects on every keystroke)."""

    id: int
    first_name: str
    last_name: str
    email: str | None
    phone: str | None
    phone_valid: bool
    archived_at: object
    assigned_to_name: str | None
    tags: list[str] = field(default_factory=list)

    @property
    def full_name(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip()
        return name or (self.email or self.phone or f"Client #{self.id}")

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


ROW_COLUMNS = (Client.id, Client.first_name, Client.last_name, Client.email, Client.phone, Client.phone_valid,
               Client.archived_at, User.name.label("assigned_to_name"))


def select_rows() -> sa.Select:
    return sa.select(*ROW_COLUMNS).outerjoin(User, User.id == Client.assigned_to_id)


def rows_with_tags(result) -> list[ClientRow]:
    """Result rows (ROW_COLUMNS) as ClientRow, with their tags fetched in one more query."""
    rows = [ClientRow(*r) for r in result]
    if rows:
        by_id = {r.id: r for r in rows}
        for client_id, tag in db.session.execute(
            sa.select(ClientTag.client_id, ClientTag.tag).where(ClientTag.client_id.in_(by_id)).order_by(ClientTag.tag)
        ):
            by_id[client_id].tags.append(tag)
    return rows


@dataclass
class SearchPage:
    clients: list[ClientRow]
    page: int
    per_page: int
    has_more: bool

    @property
    def next_page(self) -> int | None:
        return self.page + 1 if self.has_more else None


def next_prefix(prefix: str) -> str:
    """The smallest string greater than every string starting with `prefix`."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def parse_query(q: str, country: str | None = None) -> list[SearchTerm]:
    """Turn what was typed into search terms (see module docstring)."""
    q = (q or "").strip()
    if not q:
        return []
    if _PHONE_QUERY.match(q) and digits(q):
        return [_phone_term(digits(q), country)]
    terms: list[SearchTerm] = []
    for raw in q.split():
        if raw.startswith("#"):
            tag = fold(raw[1:]).strip()
            terms.append(SearchTerm(prefixes=["#" + tag] if tag else ["#"]))
        elif "@" in raw:
            terms.append(SearchTerm(prefixes=[fold(raw)]))
        elif _PHONE_QUERY.match(raw) and digits(raw):
            terms.append(_phone_term(digits(raw), country))
        else:
            for word in words(raw):
                # A plain word also finds a tag of that name.
                terms.append(SearchTerm(prefixes=[word, "#" + word], exact=[word, "#" + word]))
    return terms


def _phone_term(number: str, country: str | None) -> SearchTerm:
    prefixes = {"p:" + number, "r:" + number[::-1]}  # as typed with country code; or its last digits
    if country:
        calling_code = str(phonenumbers.country_code_for_region(country) or "")
        if calling_code and number.startswith("0") and len(number) > 1:
            prefixes.add("p:" + calling_code + number[1:])  # national format, trunk 0 dropped
        elif calling_code and len(number) >= 6:
            prefixes.add("p:" + calling_code + number)  # national number without trunk prefix
    return SearchTerm(prefixes=sorted(prefixes))


def _token_match(column, prefixes: list[str]) -> sa.ColumnElement[bool]:
    return sa.or_(*(sa.and_(column >= p, column < next_prefix(p)) for p in prefixes))


def _exact_match(column, term: SearchTerm) -> sa.ColumnElement[bool]:
    if not term.is_name_word:
        return _token_match(column, term.prefixes)
    return column.in_(term.exact)


def _has_token(condition_for) -> sa.ColumnElement[bool]:
    token = aliased(ClientSearchToken)
    return sa.exists().where(token.client_id == Client.id, condition_for(token.token))


def _ids_with_token(condition) -> sa.Select:
    return sa.select(ClientSearchToken.client_id).where(condition(ClientSearchToken.token))


def terms_condition(terms: list[SearchTerm]) -> sa.ColumnElement[bool]:
    """WHERE expression on Client: every term matches one of the client's tokens (used by filters)."""
    if not terms:
        return sa.true()
    return sa.and_(*(_has_token(lambda col, t=t: _token_match(col, t.prefixes)) for t in terms))


def _count_tokens(term: SearchTerm) -> int:
    """How many tokens the term matches, counting no further than the point where the answer matters."""
    limited = sa.select(ClientSearchToken.client_id).where(_token_match(ClientSearchToken.token, term.prefixes)).limit(
        COMMON_PREFIX_TOKENS).subquery()
    return db.session.scalar(sa.select(sa.func.count()).select_from(limited)) or 0


def _matching(terms: list[SearchTerm], match, driving: SearchTerm | None) -> list[sa.ColumnElement[bool]]:
    """Conditions for "every term matches"; the driving term (if any) is an IN on the token index."""
    conditions = []
    for term in terms:
        if term is driving:
            conditions.append(Client.id.in_(_ids_with_token(lambda col, t=term: match(col, t))))
        else:
            conditions.append(_has_token(lambda col, t=term: match(col, t)))
    return conditions


def search_clients(q: str, *, country: str | None, where: list[sa.ColumnElement[bool]] | tuple = (),
                   page: int = 1, per_page: int = 25) -> SearchPage:
    """One page of clients matching `q` and every condition in `where` (visibility, filters), best first."""
    terms = parse_query(q, country)
    page = max(page, 1)
    if not terms:
        return SearchPage([], page, per_page, False)
    base = [Client.merged_into_id.is_(None), *where]
    order = (Client.last_name, Client.first_name, Client.id)
    wanted = page * per_page + 1  # one extra row tells whether there is a next page
    offset = (page - 1) * per_page

    has_name_words = any(t.is_name_word for t in terms)
    prefix_match = lambda col, t: _token_match(col, t.prefixes)  # noqa: E731
    all_exact = sa.and_(*_matching(terms, _exact_match, None))
    counts = [_count_tokens(t) for t in terms]
    rarest = terms[counts.index(min(counts))] if min(counts) < COMMON_PREFIX_TOKENS else None

    if rarest is not None or not has_name_words:
        # Few candidates: read them from the token index, rank exact matches first, sort.
        rank = [sa.case((all_exact, 0), else_=1)] if has_name_words else []
        found = db.session.execute(
            select_rows().where(*base, *_matching(terms, prefix_match, rarest))
            .order_by(*rank, *order).offset(offset).limit(per_page + 1)
        ).all()
    else:
        # Many candidates ("a", "ma"): exact matches come from an equality lookup, then the rest
        # walking clients in name order, which stops as soon as the page is full.
        exact_driver = next(t for t in terms if t.is_name_word)
        exact_rows = db.session.execute(
            select_rows().where(*base, *_matching(terms, _exact_match, exact_driver))
            .order_by(*order).limit(wanted)
        ).all()
        found = list(exact_rows[offset:])
        if len(exact_rows) < wanted:
            found.extend(db.session.execute(
                select_rows().where(*base, *_matching(terms, prefix_match, None), sa.not_(all_exact))
                .order_by(*order).offset(max(offset - len(exact_rows), 0)).limit(per_page + 1 - len(found))
            ).all())
    return SearchPage(rows_with_tags(found[:per_page]), page, per_page, len(found) > per_page)

