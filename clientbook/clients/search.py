"""Finding clients as you type: names, phone numbers, email addresses and tags.

Every query word becomes a term; a client matches when each term matches one of
its ClientSearchToken rows (words are ANDed). A term matches by prefix, written
as a range `token >= p AND token < p_next`, so it is a B-tree range scan on both
SQLite and PostgreSQL.

Ranking: clients whose name words equal the typed words come first ("Anna"
before "Annabelle"), then the rest; each group by Client.sort_name (folded last
name, first name), then id.

One ranked query, whatever the prefix: candidate ids come from the token
range of the rarest term (the other terms are checked per candidate on the
(client_id, token) index), the exact-match rank is a non-correlated IN computed
once, and only the page of ids (LIMIT) is joined to the columns a row shows.
Its cost grows with the number of candidates, not with where they fall in the
alphabet: a one-letter prefix is the worst case, about 20 ms on 50 000 clients.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import phonenumbers
import sqlalchemy as sa
from sqlalchemy.orm import aliased

from clientbook.clients.queries import lifetime_spend_cents
from clientbook.contacts import digits
from clientbook.extensions import db
from clientbook.models import Client, ClientSearchToken, ClientTag, User
from clientbook.search_index import words
from clientbook.text import fold

# Counting a term's tokens (to pick the rarest term) stops here: past this, all are common.
RARE_ENOUGH_TOKENS = 2000
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
    assigned_to_id: int | None
    assigned_to_name: str | None
    spend_cents: int | None = None  # lifetime spend (None: not shown, e.g. someone else's client in a strict shop)
    tags: list[str] = field(default_factory=list)

    @property
    def full_name(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip()
        return name or (self.email or self.phone or f"Client #{self.id}")

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


# Lifetime spend is a correlated subquery, run only for the page's rows, in the page's one query.
ROW_COLUMNS = (Client.id, Client.first_name, Client.last_name, Client.email, Client.phone, Client.phone_valid,
               Client.archived_at, Client.assigned_to_id, User.name.label("assigned_to_name"),
               lifetime_spend_cents().label("spend_cents"))


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


# A search box takes a few words: a pasted page must not build a query too deep for the database.
MAX_QUERY_LENGTH = 200
MAX_QUERY_TERMS = 8


def parse_query(q: str, country: str | None = None) -> list[SearchTerm]:
    """Turn what was typed into search terms (see module docstring)."""
    q = (q or "").strip()[:MAX_QUERY_LENGTH]
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
    return terms[:MAX_QUERY_TERMS]


def _phone_term(number: str, country: str | None) -> SearchTerm:
    prefixes = {"p:" + number, "r:" + number[::-1]}  # as typed with country code; or its last digits
    if country:
        calling_code = str(phonenumbers.country_code_for_region(country) or "")
        if calling_code and number.startswith("0") and len(number) > 1:
            prefixes.add("p:" + calling_code + number[1:])  # national format, trunk 0 dropped
        elif calling_code and len(number) >= 6:
            prefixes.add("p:" + calling_code + number)  # national number without trunk prefix
    return SearchTerm(prefixes=sorted(prefixes))


# Phone tokens start "p:" and "r:": the typed words "p" and "r" would otherwise match every phone.
_PHONE_TOKEN_HEADS = ("p", "r")


def _prefix_match(column, prefix: str) -> sa.ColumnElement[bool]:
    condition = sa.and_(column >= prefix, column < next_prefix(prefix))
    if prefix in _PHONE_TOKEN_HEADS:  # a word with letters never matches a phone number
        condition = sa.and_(condition, sa.or_(column < prefix + ":", column >= prefix + ";"))
    return condition


def _token_match(column, prefixes: list[str]) -> sa.ColumnElement[bool]:
    return sa.or_(*(_prefix_match(column, p) for p in prefixes))


def _ids_with_token(condition: sa.ColumnElement[bool]) -> sa.Select:
    return sa.select(ClientSearchToken.client_id).where(condition)


def terms_condition(terms: list[SearchTerm]) -> sa.ColumnElement[bool]:
    """WHERE expression on Client: every term matches one of the client's tokens (used by filters)."""
    if not terms:
        return sa.true()
    conditions = []
    for term in terms:
        token = aliased(ClientSearchToken)
        conditions.append(sa.exists().where(token.client_id == Client.id, _token_match(token.token, term.prefixes)))
    return sa.and_(*conditions)


def _count_tokens(term: SearchTerm) -> int:
    """How many tokens the term matches, counting no further than the point where the answer matters."""
    limited = _ids_with_token(_token_match(ClientSearchToken.token, term.prefixes)).limit(
        RARE_ENOUGH_TOKENS).subquery()
    return db.session.scalar(sa.select(sa.func.count()).select_from(limited)) or 0


def _driving_term(terms: list[SearchTerm]) -> SearchTerm:
    """The term whose matching tokens are fewest: candidates are read from the index through it."""
    if len(terms) == 1:
        return terms[0]
    counts = [_count_tokens(t) for t in terms]
    return terms[counts.index(min(counts))]


def _matching(terms: list[SearchTerm]) -> list[sa.ColumnElement[bool]]:
    """Every term matches: the driving term as an IN over a token range (where candidates come from),
    the others as an EXISTS per candidate on the (client_id, token) index."""
    driving = _driving_term(terms)
    conditions = [Client.id.in_(_ids_with_token(_token_match(ClientSearchToken.token, driving.prefixes)))]
    others = [t for t in terms if t is not driving]
    if others:
        conditions.append(terms_condition(others))
    return conditions


def _exact_rank(terms: list[SearchTerm]) -> sa.ColumnElement[int] | None:
    """0 when every typed name word equals one of the client's words, else 1 (None: nothing to rank by).

    Each word's exact matches are a non-correlated IN, computed once per query rather than per candidate.
    Tags, phones and emails only match by prefix, so they never split candidates into groups.
    """
    name_words = [t for t in terms if t.is_name_word]
    if not name_words:
        return None
    all_exact = sa.and_(*(Client.id.in_(_ids_with_token(ClientSearchToken.token.in_(t.exact))) for t in name_words))
    return sa.case((all_exact, 0), else_=1)


def search_clients(q: str, *, country: str | None, where: list[sa.ColumnElement[bool]] | tuple = (),
                   page: int = 1, per_page: int = 25) -> SearchPage:
    """One page of clients matching `q` and every condition in `where` (visibility, filters), best first."""
    terms = parse_query(q, country)
    page = max(page, 1)
    if not terms:
        return SearchPage([], page, per_page, False)
    rank = _exact_rank(terms)
    # Ordered by its label, so the rank is computed once per candidate.
    rank_columns = [] if rank is None else [rank.label("name_rank")]
    # The page of ids is chosen from narrow columns first; the row's other columns and the assignee's
    # name are read for that page only.
    ranked = (
        sa.select(Client.id, Client.sort_name, *rank_columns)
        .where(Client.merged_into_id.is_(None), *where, *_matching(terms))
        .order_by(*rank_columns, Client.sort_name, Client.id)
        .offset((page - 1) * per_page).limit(per_page + 1)  # one extra row tells whether there is a next page
        .subquery("ranked")
    )
    page_order = [ranked.c.name_rank] if rank is not None else []
    found = db.session.execute(
        sa.select(*ROW_COLUMNS).select_from(ranked)
        .join(Client, Client.id == ranked.c.id)
        .outerjoin(User, User.id == Client.assigned_to_id)
        .order_by(*page_order, ranked.c.sort_name, ranked.c.id)
    ).all()
    return SearchPage(rows_with_tags(found[:per_page]), page, per_page, len(found) > per_page)
