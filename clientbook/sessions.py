"""Signed-in sessions that live on the server, sign-in throttling, and trusted devices.

Flask-Login keeps only a random session token in the cookies (session and remember-me);
the token's hash names a UserSession row. Revoking the row signs that browser out, even
for someone holding a copy of its cookies.

Throttling follows OWASP's advice for shops where everyone shares one address:
wrong passwords are counted per (account, address) and per (account, device); an
account under attack is slowed down (one try per LOGIN_SLOWDOWN_SECONDS), never locked;
a device that signed in to the account before carries a signed cookie and is exempt
from the slow-down, so a stranger can't keep the owner out.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask, Response, current_app, flash, g, redirect, url_for
from flask_login import login_user, logout_user
from htmx_flask import request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.middleware.proxy_fix import ProxyFix

from clientbook.extensions import db, login_manager
from clientbook.models import LoginAttempt, User, UserSession, utcnow
from clientbook.web import htmx_response, safe_next

REMEMBER_MAX = timedelta(days=30)
# A session without "keep me signed in" ends after this long without a request.
IDLE_LIFETIME = timedelta(hours=12)
# How stale last_seen_at may get before a request writes it again (one write per few minutes, not per request).
SEEN_RESOLUTION = timedelta(minutes=5)
DEVICE_COOKIE = "clientbook_device"
DEVICE_LIFETIME = timedelta(days=365)
DEVICE_ACCOUNTS_KEPT = 12  # a shop tablet is shared by the staff


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def client_address() -> str:
    """The caller's address: the proxy's X-Forwarded-For only when CLIENTBOOK_TRUSTED_PROXIES trusts it."""
    return (request.remote_addr or "unknown")[:64]


# ---- sessions ----------------------------------------------------------------------

def start_session(user: User, remember: bool = False) -> UserSession:
    """Sign `user` in on this browser with a new server-side session (never a reused id)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    row = UserSession(token_hash=_digest(token), user_id=user.id, remember=remember,
                      created_at=now, last_seen_at=now,
                      expires_at=now + (remember_duration() if remember else IDLE_LIFETIME),
                      address=client_address(), user_agent=(request.user_agent.string or "")[:200])
    db.session.add(row)
    db.session.execute(sa.delete(UserSession).where(UserSession.expires_at < now - timedelta(days=1)))
    db.session.commit()
    user.session_token = token
    login_user(user, remember=remember, duration=remember_duration())
    g.user_session = row
    return row


def current_session() -> UserSession | None:
    from flask_login import current_user

    return g.get("user_session") if current_user.is_authenticated else None


def end_current_session() -> None:
    row = current_session()
    if row is not None:
        row.revoked_at = utcnow()
        db.session.commit()
    logout_user()


def end_all_sessions(user_id: int, keep: UserSession | None = None) -> int:
    """Revoke every session of a user (except `keep`); returns how many were open."""
    query = (sa.update(UserSession)
             .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
             .values(revoked_at=utcnow()))
    if keep is not None:
        query = query.where(UserSession.id != keep.id)
    ended = db.session.execute(query).rowcount
    db.session.commit()
    return ended


def open_session_count(user_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None), UserSession.expires_at > utcnow())
    )


def remember_duration() -> timedelta:
    return _capped_remember(current_app.config.get("REMEMBER_COOKIE_DURATION"))


def _capped_remember(configured) -> timedelta:
    if isinstance(configured, (int, float)):
        configured = timedelta(seconds=configured)
    return min(configured or REMEMBER_MAX, REMEMBER_MAX)


@login_manager.user_loader
def load_user(token: str) -> User | None:
    if not token or len(token) > 100:
        return None
    row = db.session.scalar(sa.select(UserSession).where(UserSession.token_hash == _digest(token)))
    now = utcnow()
    if row is None or row.revoked_at is not None or row.expires_at <= now or not row.user.active:
        return None
    if now - row.last_seen_at > SEEN_RESOLUTION:
        row.last_seen_at = now
        if not row.remember:
            row.expires_at = now + IDLE_LIFETIME
        db.session.commit()
    row.user.session_token = token
    g.user_session = row
    return row.user


@login_manager.unauthorized_handler
def unauthorized() -> Response:
    """Send the browser to the login page, then back to the page it was on.

    An htmx request gets HX-Redirect (a whole-page visit) rather than the login page
    swapped into a fragment; the page to return to is the one on screen, not the fragment.
    """
    if request.htmx:
        back = safe_next(_path_of(request.htmx.current_url or ""), "")
        return htmx_response("Your session has ended. Please sign in again.", 401,
                             redirect=url_for("auth.login", next=back or None))
    back = safe_next(request.full_path.rstrip("?"), "")
    flash("Please sign in to continue.", "info")
    return redirect(url_for("auth.login", next=back or None))


def _path_of(url: str) -> str:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    if parts.netloc and parts.netloc != request.host:
        return ""
    return parts.path + (f"?{parts.query}" if parts.query else "")


# ---- trusted devices ---------------------------------------------------------------------

@dataclass
class Device:
    nonce: str
    user_ids: list[int]


def _device_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="clientbook-device")


def this_device() -> Device | None:
    cookie = request.cookies.get(DEVICE_COOKIE)
    if not cookie or len(cookie) > 1000:
        return None
    try:
        data = _device_serializer().loads(cookie, max_age=int(DEVICE_LIFETIME.total_seconds()))
        return Device(nonce=str(data["n"]), user_ids=[int(i) for i in data["u"]])
    except (BadSignature, KeyError, TypeError, ValueError):
        return None


def trust_this_device(response: Response, user: User) -> None:
    """After a successful sign-in: this browser may sign in to this account despite a slow-down."""
    device = this_device() or Device(nonce=secrets.token_urlsafe(12), user_ids=[])
    ids = [user.id] + [i for i in device.user_ids if i != user.id]
    value = _device_serializer().dumps({"n": device.nonce, "u": ids[:DEVICE_ACCOUNTS_KEPT]})
    response.set_cookie(DEVICE_COOKIE, value, max_age=int(DEVICE_LIFETIME.total_seconds()), httponly=True,
                        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")), samesite="Lax")


# ---- throttling -----------------------------------------------------------------------------

@dataclass
class Throttle:
    """Why a sign-in must wait, and for how long."""
    message: str
    retry_after: int


def _keys(email: str, user: User | None) -> tuple[list[str], Device | None]:
    device = this_device()
    if device is not None and user is not None and user.id in device.user_ids:
        return [f"device:{device.nonce}|{email}"], device
    return [f"pair:{email}|{client_address()}", f"account:{email}"], None


def _failures(key: str, since) -> tuple[int, object]:
    return db.session.execute(
        sa.select(sa.func.count(), sa.func.max(LoginAttempt.at)).where(LoginAttempt.key == key, LoginAttempt.at >= since)
    ).one()


def sign_in_throttle(email: str, user: User | None) -> Throttle | None:
    config = current_app.config
    limit, window = config["LOGIN_RATE_LIMIT"], timedelta(seconds=config["LOGIN_RATE_WINDOW_SECONDS"])
    now = utcnow()
    keys, device = _keys(email, user)
    for key in keys:
        count, latest = _failures(key, now - window)
        if key.startswith("account:"):
            # Slow down, never lock: after `limit` failures, one try per LOGIN_SLOWDOWN_SECONDS.
            pause = timedelta(seconds=config["LOGIN_SLOWDOWN_SECONDS"])
            if count >= limit and latest is not None and now - latest < pause:
                wait = int((pause - (now - latest)).total_seconds()) + 1
                return Throttle(f"Many wrong passwords were tried for this account. Wait {wait} seconds and try "
                                "again, or sign in from a device you have used before.", wait)
        elif count >= limit:
            wait = int((window - (now - _oldest_in_window(key, now - window))).total_seconds()) + 1
            minutes = max(1, round(wait / 60))
            return Throttle(f"Too many failed attempts from this device. Wait {minutes} minute"
                            f"{'s' if minutes != 1 else ''} and try again.", wait)
    return None


def _oldest_in_window(key: str, since):
    return db.session.scalar(sa.select(sa.func.min(LoginAttempt.at)).where(LoginAttempt.key == key, LoginAttempt.at >= since))


def record_failure(email: str, user: User | None) -> None:
    keys, _device = _keys(email, user)
    db.session.add_all(LoginAttempt(key=key[:300]) for key in keys)
    # Old attempts count for nothing: prune them as we go (indexed on `at`).
    window = timedelta(seconds=current_app.config["LOGIN_RATE_WINDOW_SECONDS"])
    db.session.execute(sa.delete(LoginAttempt).where(LoginAttempt.at < utcnow() - window))
    db.session.commit()


def clear_failures(email: str, user: User) -> None:
    keys, _device = _keys(email, user)
    db.session.execute(sa.delete(LoginAttempt).where(LoginAttempt.key.in_(keys)))


# ---- wiring ---------------------------------------------------------------------------------

def _trusted_proxy_count(app: Flask) -> int:
    value = app.config.get("TRUSTED_PROXIES") or 0
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        raise RuntimeError(f"CLIENTBOOK_TRUSTED_PROXIES must be the number of proxies in front of the app, not {value!r}.")


def init_app(app: Flask) -> None:
    app.config.setdefault("LOGIN_SLOWDOWN_SECONDS", 30)
    # The remember-me cookie is as Secure as the session cookie, and lives at most 30 days.
    if app.config.get("SESSION_COOKIE_SECURE"):
        app.config["REMEMBER_COOKIE_SECURE"] = True
    app.config.setdefault("REMEMBER_COOKIE_HTTPONLY", True)
    app.config["REMEMBER_COOKIE_DURATION"] = _capped_remember(app.config.get("REMEMBER_COOKIE_DURATION"))
    proxies = _trusted_proxy_count(app)
    if proxies:
        # Behind the shop's reverse proxy every request comes from the proxy: read the client from its headers.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
