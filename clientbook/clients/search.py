"""Finding clients as you type: names, phone numbers, email addresses and tags.

Every query word becomes a term; a client matches when each term matches one of
its ClientSearchToken rows (words are ANDed). A term matches by prefix, written
as a range `token >= p AND token < p_next`, so it is a B-tree range scan on both
SQLite and PostgreSQL.

Ranking: clients whose name words equal the typed words come first ("Anna"
before "Annabelle"), then the rest; each group by Client.sort_name (folded last
name, first name), then id.

Each group is read in name order up to the end of the page, from a bounded window:
the first rows of the rarest term's token ranges in (token, sort_key, client_id)
index order (the token carries its client's sort key), with the other terms and
the visibility checks run on that window only. A common three-letter prefix
matches ~50 000 tokens on a 500 000-client book; the window reads the index
entries and keeps a few dozen, instead of reading and sorting every matching
client. When the window can't settle the page (most candidates fail the
checks), every candidate is checked, as for a rare term.
"""
from __future__ import annotations

import re
from collections import Counter
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


def _prefix_ranges(prefix: str) -> list[tuple[str, str]]:
    """The [low, high) token ranges starting with `prefix`."""
    if prefix in _PHONE_TOKEN_HEADS:  # a word with letters never matches a phone number: skip "p:..."
        return [(prefix, prefix + ":"), (prefix + ";", next_prefix(prefix))]
    return [(prefix, next_prefix(prefix))]


def _ranges(column, prefixes: list[str]) -> list[sa.ColumnElement[bool]]:
    return [sa.and_(column >= low, column < high) for prefix in prefixes for low, high in _prefix_ranges(prefix)]


def _token_match(column, prefixes: list[str]) -> sa.ColumnElement[bool]:
    return sa.or_(*_ranges(column, prefixes))


def _term_match(column, term: SearchTerm, exact: bool) -> sa.ColumnElement[bool]:
    """The term's tokens: its exact name words when `exact` (and it is a name word), else its prefixes."""
    if exact and term.is_name_word:
        return column.in_(term.exact)
    return _token_match(column, term.prefixes)


def _token_ranges(term: SearchTerm, exact: bool) -> list[sa.ColumnElement[bool]]:
    """The term's tokens as separate index ranges (each read in order on its own)."""
    if exact and term.is_name_word:
        return [ClientSearchToken.token == word for word in term.exact]
    return _ranges(ClientSearchToken.token, term.prefixes)


def _has_token(term: SearchTerm, exact: bool = False) -> sa.ColumnElement[bool]:
    token = aliased(ClientSearchToken)
    return sa.exists().where(token.client_id == Client.id, _term_match(token.token, term, exact))


def terms_condition(terms: list[SearchTerm]) -> sa.ColumnElement[bool]:
    """WHERE expression on Client: every term matches one of the client's tokens (used by filters)."""
    return sa.and_(*(_has_token(term) for term in terms)) if terms else sa.true()


def _count_tokens(term: SearchTerm, exact: bool) -> int:
    """How many tokens the term matches, counting no further than the point where the answer matters."""
    limited = (sa.select(ClientSearchToken.client_id).where(_term_match(ClientSearchToken.token, term, exact))
               .limit(RARE_ENOUGH_TOKENS).subquery())
    return db.session.scalar(sa.select(sa.func.count()).select_from(limited)) or 0


def _driving_term(terms: list[SearchTerm], exact: bool) -> tuple[SearchTerm, bool]:
    """The term whose matching tokens are fewest (candidates are read from the index through it),
    and whether it is known to be rare (few enough candidates to check them all).

    Exact name words are counted as such: in "marie m" nobody's word is "m", so the exact group
    is read through "m", not through the thousands of Maries."""
    if len(terms) == 1:
        return terms[0], False
    counts = [_count_tokens(t, exact) for t in terms]
    fewest = min(counts)
    return terms[counts.index(fewest)], fewest < RARE_ENOUGH_TOKENS


# Candidates read in name order from the token index per attempt, as a multiple of the rows wanted:
# the first fits when a tenth or more of the candidates pass the checks (the store book, an
# associate's own clients), the second down to about one in a hundred; past that, every candidate
# is checked.
WINDOWS = (24, 256)


def _in_name_order(terms: list[SearchTerm], exact: bool, where: list[sa.ColumnElement[bool]],
                   limit: int) -> list[int]:
    """Up to `limit` ids, in name order, of clients matching every term (the name words exactly
    when `exact`) and every condition in `where`.

    A prefix matches tens of thousands of tokens on a big book, and the range spans many words
    (every email address is its own token), so the index can't give them in name order by
    itself. Each of the driving term's ranges gives its first rows in name order from
    (token, sort_key, client_id) and stops; the checks run on that bounded window only. The
    window settles the answer when it yields `limit` clients or holds every match.
    """
    driving, rare = _driving_term(terms, exact)
    others = [t for t in terms if t is not driving]
    checks = sa.and_(Client.merged_into_id.is_(None), *where, *(_has_token(t, exact) for t in others))
    for multiple in () if rare else WINDOWS:
        size = limit * multiple
        ranges = [sa.select(ClientSearchToken.client_id, ClientSearchToken.sort_key, sa.literal(n).label("part"))
                  .where(condition).order_by(ClientSearchToken.sort_key, ClientSearchToken.client_id).limit(size)
                  .subquery().select()
                  for n, condition in enumerate(_token_ranges(driving, exact))]
        window = sa.union_all(*ranges).subquery() if len(ranges) > 1 else ranges[0].subquery()
        rows = db.session.execute(
            sa.select(window.c.client_id, window.c.part, sa.case((checks, True), else_=False))
            .join(Client, Client.id == window.c.client_id)
            .order_by(window.c.sort_key, window.c.client_id)
        ).all()
        found: list[int] = []
        for client_id, _part, passes in rows:
            if passes and client_id not in found:
                found.append(client_id)
                if len(found) == limit:
                    return found
        read = Counter(row.part for row in rows)
        if all(read[n] < size for n in range(len(ranges))):
            return found  # every match was in the window
    candidates = sa.select(ClientSearchToken.client_id).where(_term_match(ClientSearchToken.token, driving, exact))
    return list(db.session.scalars(
        sa.select(Client.id).where(Client.id.in_(candidates), checks).order_by(Client.sort_name, Client.id).limit(limit)
    ))


def search_clients(q: str, *, country: str | None, where: list[sa.ColumnElement[bool]] | tuple = (),
                   page: int = 1, per_page: int = 25) -> SearchPage:
    """One page of clients matching `q` and every condition in `where` (visibility, filters), best first.

    Clients whose name words all equal typed words come first, then the rest, each in name order:
    each group is read in name order up to the end of the page (and one more row, to know
    whether there is a next page).
    """
    terms = parse_query(q, country)
    page = max(page, 1)
    if not terms:
        return SearchPage([], page, per_page, False)
    where = list(where)
    wanted = page * per_page + 1
    ids = _in_name_order(terms, True, where, wanted) if any(t.is_name_word for t in terms) else []
    if len(ids) < wanted:
        exact = set(ids)
        # The prefix matches include the exact ones again: skip them, keep name order.
        more = _in_name_order(terms, False, where, wanted)
        ids += [i for i in more if i not in exact][:wanted - len(ids)]
    page_ids = ids[(page - 1) * per_page:]
    if not page_ids:
        return SearchPage([], page, per_page, False)
    position = {client_id: n for n, client_id in enumerate(page_ids)}
    found = sorted(db.session.execute(select_rows().where(Client.id.in_(page_ids))).all(), key=lambda r: position[r.id])
    return SearchPage(rows_with_tags(found[:per_page]), page, per_page, len(found) > per_page)
