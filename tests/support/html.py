"""Parsed HTML for assertions that must not depend on attribute order, quoting or whitespace.

    form = one(page, 'form.rem-actions[action="/reminders/7"]')
    assert form["hx-get"] == "/reminders/7"
    assert [a.text for a in select(page, "nav.cl-phone-bar a")] == ["Note", "Purchase", "Text", "Call"]

Selectors are a small part of CSS: `tag`, `#id`, `.class`, `[attr]`, `[attr="value"]`, `[attr^="start"]`,
chained on one element and joined by spaces for "somewhere inside". Built on the standard
library's html.parser, so it reads the markup the way a browser tokenises it.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
UNSEEN = {"script", "style", "template", "head"}
# Elements whose end tag HTML lets a page leave out: a new sibling closes the open one.
CLOSED_BY_SIBLING = {"li": {"li"}, "option": {"option", "optgroup"}, "p": {"p", "div", "ul", "ol", "form", "section"},
                     "td": {"td", "th", "tr"}, "th": {"td", "th", "tr"}, "tr": {"tr"}, "dt": {"dt", "dd"},
                     "dd": {"dt", "dd"}}


def _collapse(text: str) -> str:
    """HTML's white space (ASCII only: a no-break space in a price stays one) run together."""
    return re.sub(r"[ \t\n\r\f]+", " ", text).strip(" ")


class Element:
    def __init__(self, tag: str, attrs: dict[str, str], parent: "Element | None"):
        self.tag = tag
        self.attrs = attrs
        self.parent = parent
        self.children: list[Element | str] = []

    def __getitem__(self, name: str) -> str:
        return self.attrs[name]

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.attrs.get(name, default)

    def __contains__(self, name: str) -> bool:
        return name in self.attrs

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    @property
    def text(self) -> str:
        """The text inside, whitespace collapsed as a reader sees it."""
        return _collapse("".join(self._texts()))

    def _texts(self, visible_only: bool = False):
        for child in self.children:
            if isinstance(child, str):
                yield child
            elif not (visible_only and ("hidden" in child.attrs or child.tag in UNSEEN)):
                yield " " if child.tag in VOID else ""
                yield from child._texts(visible_only)

    @property
    def visible_text(self) -> str:
        """The text a reader sees: without what is `hidden`, scripts and styles."""
        return _collapse("".join(self._texts(visible_only=True)))

    def descendants(self):
        for child in self.children:
            if isinstance(child, Element):
                yield child
                yield from child.descendants()

    def select(self, selector: str, text: str | None = None) -> list["Element"]:
        return select(self, selector, text)

    def one(self, selector: str, text: str | None = None) -> "Element":
        return one(self, selector, text)

    def __repr__(self) -> str:
        attributes = "".join(f' {name}="{value}"' for name, value in self.attrs.items())
        return f"<{self.tag}{attributes}>"


class _TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {}, None)
        self.open = self.root

    def handle_starttag(self, tag, attrs):
        closes = {name for name, followers in CLOSED_BY_SIBLING.items() if tag in followers}
        if self.open.tag in closes:
            self.open = self.open.parent
        element = Element(tag, {name: value if value is not None else "" for name, value in attrs}, self.open)
        self.open.children.append(element)
        if tag not in VOID:
            self.open = element

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.open = self.open.parent

    def handle_endtag(self, tag):
        element = self.open
        while element is not self.root and element.tag != tag:
            element = element.parent
        if element is not self.root:  # a stray end tag closes nothing, as in a browser
            self.open = element.parent

    def handle_data(self, data):
        self.open.children.append(data)


def parse(markup: str | bytes) -> Element:
    """The document (or fragment) as a tree of elements."""
    if isinstance(markup, bytes):
        markup = markup.decode()
    builder = _TreeBuilder()
    builder.feed(markup)
    builder.close()
    return builder.root


_PART = re.compile(r"""(?P<tag>^[\w-]+|^\*)|\#(?P<id>[\w-]+)|\.(?P<cls>[\w-]+)"""
                   r"""|\[(?P<attr>[\w:-]+)(?:(?P<op>\^?=)"(?P<value>[^"]*)")?\]""")


def _matcher(compound: str):
    checks = []
    position = 0
    while position < len(compound):
        part = _PART.match(compound, position) if position else _PART.match(compound)
        if not part:
            raise ValueError(f"unsupported selector {compound!r}")
        position = part.end()
        if part["tag"] and part["tag"] != "*":
            checks.append(lambda e, tag=part["tag"]: e.tag == tag)
        elif part["id"]:
            checks.append(lambda e, value=part["id"]: e.attrs.get("id") == value)
        elif part["cls"]:
            checks.append(lambda e, value=part["cls"]: value in e.classes)
        elif part["attr"]:
            name, op, value = part["attr"], part["op"], part["value"]
            if op == "=":
                checks.append(lambda e, name=name, value=value: e.attrs.get(name) == value)
            elif op == "^=":
                checks.append(lambda e, name=name, value=value: e.attrs.get(name, "").startswith(value))
            else:
                checks.append(lambda e, name=name: name in e.attrs)
    return lambda element: all(check(element) for check in checks)


def select(markup: "str | bytes | Element", selector: str, text: str | None = None) -> list[Element]:
    """Every element matching the selector (and with exactly this text, if given), in document order."""
    found = [markup if isinstance(markup, Element) else parse(markup)]
    for compound in re.findall(r'(?:[^\s"\[]|\[[^\]]*\])+', selector):
        matches = _matcher(compound)
        seen: set[int] = set()
        next_found = []
        for scope in found:
            for element in scope.descendants():
                if id(element) not in seen and matches(element):
                    seen.add(id(element))
                    next_found.append(element)
        found = next_found
    return found if text is None else [element for element in found if element.text == text]


def form_fields(form: Element) -> dict[str, str]:
    """The fields a browser would submit from this form as shown (submit buttons and files aside)."""
    fields: dict[str, str] = {}
    for field in form.select("[name]"):
        name, kind = field["name"], field.get("type")
        if "disabled" in field or field.tag not in ("input", "select", "textarea"):
            continue
        if field.tag == "input" and kind not in ("submit", "file", "checkbox", "radio") or "checked" in field:
            fields[name] = field.get("value") or ("y" if kind == "checkbox" else "")
        elif field.tag == "select":
            options = field.select("option")
            chosen = [option for option in options if "selected" in option] or options[:1]
            if chosen:
                fields[name] = chosen[0].get("value", chosen[0].text)
        elif field.tag == "textarea":
            fields[name] = "".join(child for child in field.children if isinstance(child, str))
    return fields


def roots(markup: str | bytes) -> list[Element]:
    """The outermost elements of a fragment (what htmx swaps in), in order."""
    return [child for child in parse(markup).children if isinstance(child, Element)]


def one(markup: "str | bytes | Element", selector: str, text: str | None = None) -> Element:
    """The one element matching the selector (fails the test if there are none or several)."""
    found = select(markup, selector, text)
    assert len(found) == 1, f"{len(found)} elements match {selector!r}, expected one: {found[:5]}"
    return found[0]
