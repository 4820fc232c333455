"""Tags: one identity per tag whatever its case or accents ("VIP" imported and "vip" typed are
one tag), shown as it was first written in the shop."""
from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from clientbook.extensions import db
from clientbook.models import ClientTag
from clientbook.text import fold

MAX_TAG_LENGTH = 60


def tag_key(tag: str) -> str:
    """What makes two tags the same tag."""
    return fold(" ".join(tag.split()))


def known_spellings() -> dict[str, str]:
    """tag_key -> the spelling the shop uses (the first in sort order when several were stored)."""
    spellings: dict[str, str] = {}
    for tag in db.session.scalars(sa.select(ClientTag.tag).distinct().order_by(ClientTag.tag)):
        spellings.setdefault(tag_key(tag), tag)
    return spellings


def shop_spellings(tags: Iterable[str], spellings: dict[str, str] | None = None) -> list[str]:
    """These tags as the shop already writes them, repeats (in any case or accent) dropped;
    a tag new to the shop keeps the spelling it was given."""
    spellings = known_spellings() if spellings is None else spellings
    result: dict[str, str] = {}
    for raw in tags:
        tag = " ".join(raw.split())[:MAX_TAG_LENGTH]
        if tag:
            result.setdefault(tag_key(tag), spellings.setdefault(tag_key(tag), tag))
    return list(result.values())


def spellings_of(tag: str) -> list[str]:
    """Every stored spelling of this tag, for filters: ClientTag.tag.in_(spellings_of(tag))."""
    wanted = tag_key(tag)
    return [t for t in db.session.scalars(sa.select(ClientTag.tag).distinct()) if tag_key(t) == wanted]


def distinct_tags() -> list[str]:
    """The shop's tags, one spelling each, in alphabetical order (case and accents aside)."""
    return sorted(known_spellings().values(), key=tag_key)
