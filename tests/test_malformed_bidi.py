"""Names with bidi controls (U+202E "right-to-left override") can't flip the text around them.

Every place a name is shown, it sits in an element that isolates it (<bdi>, or an inline
element the style sheet isolates), or nothing follows it inside its block.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import sqlalchemy as sa

from clientbook.extensions import db
from clientbook.models import Client, Reminder, User
from tests.support.reminders import add_client

SPOOF = "Eve\u202eevil"
STYLE = (Path(__file__).resolve().parent.parent / "static" / "css" / "app.css").read_text()
# Elements that end a bidi paragraph: an override inside can't reach past them.
BLOCKS = {"html", "head", "body", "title", "p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "td", "th", "tr",
          "table", "section", "main", "header", "nav", "form", "fieldset", "legend", "option", "select",
          "textarea", "dd", "dt", "dl", "article", "details", "summary", "footer", "aside"}
VOID = {"br", "input", "img", "meta", "link", "hr", "source", "col", "wbr"}


def isolating_tags() -> set[str]:
    rule = re.search(r"([^{}]+)\{[^}]*unicode-bidi:\s*isolate", re.sub(r"/\*.*?\*/", "", STYLE, flags=re.S))
    assert rule, "app.css isolates no inline elements"
    return {"bdi"} | {tag.strip() for tag in rule.group(1).split(",")}


class Spoofed(HTMLParser):
    """Finds text that the spoofed name's override would flip: text after it in the same paragraph,
    not separated from it by an isolating element."""

    def __init__(self, isolating: set[str]):
        super().__init__(convert_charrefs=True)
        self.isolating = isolating
        self.stack: list[list] = []  # [tag, leaking]
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in VOID:
            self.stack.append([tag, False])

    def handle_endtag(self, tag):
        while self.stack:
            open_tag, leaking = self.stack.pop()
            if leaking and self.stack and open_tag not in self.isolating and open_tag not in BLOCKS:
                self.stack[-1][1] = True  # the override goes on in the parent's paragraph
            if open_tag == tag:
                break

    def _affected(self) -> bool:
        for tag, leaking in reversed(self.stack):
            if leaking:
                return True
            if tag in BLOCKS or tag in self.isolating:
                return False
        return False

    def handle_data(self, data):
        if not self.stack or self.stack[-1][0] in ("script", "style"):
            return
        if SPOOF in data:
            before, after = data.split(SPOOF, 1)[0], re.sub(r"^ (Martin|Staff)", "", data.split(SPOOF)[-1])
            if "\u2068" in before and "\u2069" in after:
                return  # isolated by Unicode's own marks (FSI ... PDI), where markup can't go
            if self._affected() and before.strip():
                self.problems.append(f"<{self.stack[-1][0]}> {data[:60]!r}")
            self.stack[-1][1] = True
            if after.strip():
                self.problems.append(f"<{self.stack[-1][0]}> {data[:60]!r}")
        elif data.strip() and self._affected():
            self.problems.append(f"<{self.stack[-1][0]}> …{data[:40]!r}")


def spoofed_runs(html: str) -> list[str]:
    parser = Spoofed(isolating_tags())
    parser.feed(html)
    return parser.problems


def test_a_name_with_a_right_to_left_override_is_isolated_everywhere_it_shows(client, auth, app, shop):
    with app.app_context():
        eve = add_client(SPOOF, "Martin", owner_id=shop["owner"], email="eve@example.com")
        db.session.add(Reminder(rule_id=None, client_id=eve.id, occurrence="manual-1", kind="manual",
                                reason="Call back", due_date=__import__("datetime").date.today(),
                                owner_id=shop["owner"]))
        db.session.get(User, shop["associate"]).name = f"{SPOOF} Staff"
        db.session.commit()
        client_id = eve.id
        reminder_id = db.session.scalar(sa.select(Reminder.id))
    auth.login("owner")
    pages = [f"/clients/{client_id}", "/clients", "/clients?q=eve", "/today", f"/clients/{client_id}/message",
             f"/reminders/{reminder_id}", "/staff", f"/clients/{client_id}/merge",
             f"/reminders/client/{client_id}/follow-up"]
    problems = {}
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.get_data(as_text=True)
        assert SPOOF in html, path
        found = spoofed_runs(html)
        if found:
            problems[path] = found
    dropdown = client.get("/clients/search?q=eve", headers={"HX-Request": "true"}).get_data(as_text=True)
    if spoofed_runs(dropdown):
        problems["search drop-down"] = spoofed_runs(dropdown)
    assert not problems, "\n".join(f"{path}: {found}" for path, found in problems.items())


def test_the_checker_sees_an_unisolated_name():
    assert spoofed_runs(f"<p>Logged on {SPOOF}'s timeline.</p>")
    assert not spoofed_runs(f"<p>Logged on <bdi>{SPOOF}</bdi>'s timeline.</p>")
    assert not spoofed_runs(f"<h1>Message {SPOOF}</h1>")
    assert spoofed_runs(f"<p><em>{SPOOF}</em> <span>bought</span></p>")
    assert not spoofed_runs(f"<p><strong>{SPOOF}</strong> bought</p>")
    assert not spoofed_runs(f"<title>\u2068{SPOOF}\u2069 · Shop</title>")
