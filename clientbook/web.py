"""Page rendering shared by every blueprint: partial-or-page, htmx responses, headers, template helpers.

What htmx asks for is read from `request.htmx` (htmx-flask), never from HX-* headers by hand;
htmx response headers (HX-Redirect, HX-Trigger, HX-Push-Url, HX-Retarget, HX-Reswap) are set
through `htmx_response`, which wraps htmx-flask's `make_response`.
"""
from __future__ import annotations

from urllib.parse import urlsplit

import htmx_flask
from flask import Flask, Response, current_app, has_request_context, render_template, url_for
from htmx_flask import request
from jinja2_fragments.flask import render_block

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
SWAP_STYLES = {"innerHTML", "outerHTML", "textContent", "beforebegin", "afterbegin", "beforeend", "afterend",
               "delete", "none"}


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


def htmx_response(*args, reswap: str | None = None, **htmx_headers) -> Response:
    """htmx-flask's make_response (redirect=, trigger=, push_url=, retarget=, ...), with every
    HX-Reswap value htmx accepts, modifiers included."""
    if reswap is not None and reswap.split()[0] not in SWAP_STYLES:
        raise ValueError(f"Unknown htmx swap style: {reswap!r}")
    response = htmx_flask.make_response(*args, **htmx_headers)
    if reswap is not None:
        response.headers["HX-Reswap"] = reswap
    return response


def hx_redirect(location: str) -> Response:
    """Send an htmx client (or a plain form post) to another page after a change."""
    if request.htmx:
        return htmx_response("", 204, redirect=location)
    return htmx_response("", 303, {"Location": location})


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


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(nav_section=nav_section)
    app.jinja_env.filters.update(safe_url=safe_url, money=format_money)

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
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


__all__ = ["render", "hx_redirect", "htmx_response", "vary_on_htmx", "wants_partial", "safe_url"]
