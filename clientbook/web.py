"""Page rendering shared by every blueprint: partial-or-page, htmx responses, headers, template helpers.

What htmx asks for is read from `request.htmx` (htmx-flask), never from HX-* headers by hand;
htmx response headers (HX-Redirect, HX-Trigger, HX-Push-Url, HX-Retarget, HX-Reswap) are set
through `htmx_response`, which wraps htmx-flask's `make_response`.
"""
from __future__ import annotations

import functools
import mimetypes
import re
from urllib.parse import urlsplit

import htmx_flask
from flask import (Flask, Response, current_app, has_request_context, make_response, render_template,
                   send_from_directory, url_for)
from htmx_flask import request
from jinja2_fragments.flask import render_block
from sqlalchemy import exc as sa_exc
from werkzeug.routing import IntegerConverter

from clientbook.extensions import db
from clientbook.money import format_money

SAFE_LINK_SCHEMES = {"http", "https", "mailto", "tel", "sms"}

# No inline script anywhere: htmx is loaded from /static and configured by a meta tag.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'; "
    "object-src 'none'"
)


# htmx's swap styles. htmx-flask 0.1.0 checks HX-Reswap against a list that runs two of them
# together ("beforebegin" "afterbegin"), and refuses modifiers ("outerHTML show:top").
def wants_partial() -> bool:
    """True when htmx asked for a piece of a page rather than a whole one.

    A boosted link or a history restore needs the full page (otherwise Back shows a
    bare fragment).
    """
    return bool(request.htmx) and not request.htmx.boosted and not request.htmx.history_restore_request


def vary_on_htmx(response: Response) -> Response:
    """Caches must keep the page and the partial of one URL apart."""
    response.vary.add("HX-Request")
    return response


def render(template: str, block: str | None = None, status: int = 200, **context) -> Response:
    """Render `block` of `template` for an htmx request, or the whole page otherwise."""
    if block and wants_partial():
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    return vary_on_htmx(htmx_response(body, status))


# htmx-flask's make_response (redirect=, trigger=, push_url=, retarget=, reswap=, ...). Its reswap
# check joins "beforebegin" and "afterbegin" into one name: use neither with it.
htmx_response = htmx_flask.make_response


def hx_redirect(location: str) -> Response:
    """Send an htmx client (or a plain form post) to another page after a change."""
    if request.htmx:
        return htmx_response("", 204, redirect=location)
    return htmx_response("", 303, {"Location": location})


# Browsers drop tabs and line breaks anywhere in a URL and read "\\" as "/": "/\t/evil.example"
# and "/\\evil.example" both lead off-site. Normalise the same way before deciding.
_DROPPED_BY_BROWSERS = re.compile(r"[\t\r\n]")
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def safe_next(target: str | None, default: str) -> str:
    """The one check for `next` URLs: a same-site path (normalised as a browser would read it), else `default`."""
    if not target:
        return default
    path = _DROPPED_BY_BROWSERS.sub("", target).strip().replace("\\", "/")
    if _CONTROL_CHARACTERS.search(path) or len(path) > 2000:
        return default
    if not path.startswith("/") or path.startswith("//"):
        return default
    try:
        parts = urlsplit(path)
    except ValueError:
        return default
    if parts.scheme or parts.netloc:
        return default
    return path


def isolate(text) -> str:
    """Typed text for places that can't hold <bdi> (an <option>, a title): wrapped in Unicode's isolate marks,
    so a right-to-left override inside it can't flip the words around it."""
    return f"\u2068{text}\u2069"


def safe_url(value: str | None) -> str:
    """Only http(s)/mailto/tel/sms links are rendered as links; anything else becomes '#'."""
    if not value:
        return "#"
    scheme = urlsplit(value.strip()).scheme.lower()
    return value if scheme in SAFE_LINK_SCHEMES else "#"


def configured_base_url() -> str:
    """The address people and providers reach this install at, from the SERVER_URL setting
    (e.g. CLIENTBOOK_SERVER_URL=https://clients.example-shop.com); empty when not set."""
    return str(current_app.config.get("SERVER_URL") or "").rstrip("/")


def external_url(endpoint: str, **values) -> str:
    """An absolute link for emails and provider callbacks, with or without a request around.

    SERVER_URL wins; otherwise the current request's host or SERVER_NAME; otherwise localhost.
    """
    base = configured_base_url()
    if not base and (has_request_context() or current_app.config.get("SERVER_NAME")):
        return url_for(endpoint, _external=True, **values)
    path = current_app.url_map.bind("localhost", script_name="/").build(endpoint, values)
    return (base or "http://localhost:8000") + path


SETTINGS_PATH_PREFIXES = ("/settings", "/staff", "/import", "/export", "/messaging/templates", "/messaging/channels")


def nav_section() -> str:
    """Which main-navigation tab the current page belongs to (for highlighting it)."""
    path = request.path
    if path.startswith(SETTINGS_PATH_PREFIXES):
        return "settings"
    if path.startswith("/messaging/campaigns"):
        return "campaigns"
    if path.startswith("/messaging/dashboard"):
        return "results"
    if path.startswith(("/today", "/reminders")):
        return "today"
    if path.startswith("/clients"):
        return "clients"
    if path.startswith("/inbox"):
        return "inbox"
    if path.startswith("/jobs"):
        return "jobs"
    return ""


# The largest id the database can hold (a signed 64-bit integer).
MAX_DATABASE_INT = 2**63 - 1


class DatabaseIntConverter(IntegerConverter):
    """`<int:...>` in every route: a number too large for the database is "not found", not a 500."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_DATABASE_INT)
        super().__init__(map, *args, **kwargs)


# 18 digits always fit in the database's signed 64-bit integers (19 may not).
_LONGEST_NUMBER = 18


def unreadable_number(value: str) -> bool:
    """A value that looks like a whole number but can't be stored: '²' (a digit to Python, not to int())
    or more digits than the database holds."""
    digits = value.strip().removeprefix("-")
    return digits.isdigit() and (not (digits.isascii() and digits.isdecimal()) or len(digits) > _LONGEST_NUMBER)


def refuse_unreadable_numbers():
    """Every request: a number no field could use is refused before any view tries int() on it."""
    for values in (request.args, request.form):
        for name, value in values.items(multi=True):
            if unreadable_number(value):
                return bad_request(f"“{name}” holds a number Clientbook can't use: use at most "
                                   f"{_LONGEST_NUMBER} digits 0-9.")
    return None


def bad_request(message: str, title: str = "Can't do that") -> Response:
    return make_response(render_template("error.html", title=title, message=message), 400)


def htmx_only(view):
    """A piece of a page (htmx); asked for on its own, it answers 400 with a message instead of a bare fragment."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if not wants_partial():
            return bad_request("This address is a part of a page. Open the page itself instead.",
                               title="Part of a page")
        return view(*args, **kwargs)

    return wrapped


def init_app(app: Flask) -> None:
    app.before_request(refuse_unreadable_numbers)

    @app.errorhandler(OverflowError)
    @app.errorhandler(sa_exc.DataError)
    def number_too_large(_error):
        # The database refused a value (a number beyond 64 bits, say): nothing of the request is kept.
        db.session.rollback()
        return bad_request("A number in this request is too large to store. Nothing was saved.")

    # Before any blueprint adds its rules: routes bind their converter when registered.
    app.url_map.converters["int"] = DatabaseIntConverter
    app.jinja_env.globals.update(nav_section=nav_section)
    mimetypes.add_type("application/manifest+json", ".webmanifest")

    @app.get("/sw.js")
    def service_worker():
        # Served from the root, not /static/, so that it may answer for every page (its scope is "/").
        response = send_from_directory(app.static_folder, "sw.js", max_age=0, mimetype="text/javascript")
        response.headers["Cache-Control"] = "no-cache"
        return response

    app.jinja_env.filters.update(safe_url=safe_url, money=format_money, isolate=isolate)

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if request.endpoint != "static" and not response.cache_control.private and _signed_in():
            # A signed-in page holds client details: never keep it in a shared tablet's cache.
            # (A view that chose private caching, such as a client's photo, keeps its choice.)
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.errorhandler(413)
    def too_large(_error):
        limit_mb = app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
        return render_template("error.html", title="File too large",
                               message=f"That file is larger than {limit_mb} MB. Split it into smaller files and try again."), 413

    @app.errorhandler(403)
    def forbidden(_error):
        return render_template("error.html", title="Not allowed",
                               message="Your role does not allow this. Ask a manager if you need it."), 403

    @app.errorhandler(404)
    def not_found(_error):
        return render_template("error.html", title="Not found", message="There is nothing at this address."), 404


def _signed_in() -> bool:
    from flask_login import current_user

    return current_user.is_authenticated


__all__ = ["render", "hx_redirect", "htmx_response", "vary_on_htmx", "wants_partial", "safe_next", "htmx_only",
           "bad_request", "safe_url"]
