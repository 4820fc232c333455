"""Message placeholders like {first_name}: the allowed set, validation and filling-in.

Used by message templates (outreach), reminder drafts and campaigns alike.
"""
from __future__ import annotations

import re

PLACEHOLDERS = {
    "first_name": "The client's first name",
    "last_name": "The client's last name",
    "full_name": "The client's full name",
    "associate_first_name": "The assigned associate's first name",
    "shop_name": "The shop's name",
    "date_label": "The occasion, e.g. \"Anna's birthday\"",
    "last_item": "The last item the client bought",
}

_FIELD = re.compile(r"\{([^{}]*)\}")


def unknown_placeholders(text: str) -> list[str]:
    """Names in {braces} that are not placeholders, in order of appearance, without repeats."""
    seen: list[str] = []
    for name in _FIELD.findall(text or ""):
        if name.strip() not in PLACEHOLDERS and name not in seen:
            seen.append(name)
    return seen


def fill_placeholders(text: str, values: dict[str, str]) -> str:
    """Replace known placeholders; unknown ones are left as typed (they are rejected when saving)."""

    def replace(match: re.Match) -> str:
        name = match.group(1).strip()
        return str(values.get(name, "")) if name in PLACEHOLDERS else match.group(0)

    return _FIELD.sub(replace, text or "")
