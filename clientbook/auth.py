"""First-run set-up, log in/out, your own account, reset links and staff management."""
from __future__ import annotations

import secrets
import smtplib
import sys
from datetime import timedelta
from email.message import EmailMessage

import click
import phonenumbers
import sqlalchemy as sa
from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.numbers import get_territory_currencies
from flask import Blueprint, Flask, abort, current_app, flash, redirect, request, url_for
from flask_login import current_user, login_required, logout_user
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, StopValidation, ValidationError

from clientbook.extensions import db
from clientbook.mail import mail_configured, send_email
from clientbook.models import PasswordReset, Role, Shop, User, utcnow
from clientbook.passwords import MAX_PASSWORD_LENGTH, hash_password, password_problem, verify_password
from clientbook.roles import manager_required, owner_required
from clientbook.sessions import (
    _digest,
    clear_failures,
    current_session,
    end_all_sessions,
    end_current_session,
    open_session_count,
    record_failure,
    sign_in_throttle,
    start_session,
    trust_this_device,
)
from clientbook.settings import add_default_preference_keys
from clientbook.shop import COUNTRY_CHOICES, CURRENCY_CHOICES, current_shop, timezone_choices
from clientbook.signals import shop_created
from clientbook.staff import staff_roster
from clientbook.web import external_url, render, safe_next

bp = Blueprint("auth", __name__, cli_group=None)  # `flask setup-shop`, not `flask auth setup-shop`

ROLE_CHOICES = [(r.value, r.label) for r in Role]


# ---- forms -------------------------------------------------------------------

class PasswordStrength:
    """The shop's password rule (clientbook.passwords), judged against the form's own names and email."""

    def __init__(self, *related_fields: str, required: bool = True):
        self.related_fields = related_fields
        self.required = required

    def __call__(self, form, field):
        if not field.data and not self.required:
            return
        related = tuple(getattr(form, name).data or "" for name in self.related_fields if hasattr(form, name))
        user = getattr(form, "_user", None)
        if user is not None:
            related += (user.name, user.email)
        problem = password_problem(field.data, related + _shop_words())
        if problem:
            raise StopValidation(problem)


def _shop_words() -> tuple[str, ...]:
    shop = current_shop()
    return (shop.name,) if shop is not None else ()


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class SetupForm(FlaskForm):
    """The first-run form, used by the set-up page and `flask setup-shop` alike."""

    shop_name = StringField("Shop name", validators=[DataRequired("Give the shop a name."), Length(max=120)],
                            filters=[_strip])
    country = SelectField("Country", default="FR")
    timezone = SelectField("Time zone", default="Europe/Paris")
    currency = SelectField("Currency", default="EUR")
    owner_name = StringField("Your name", validators=[DataRequired("Say who you are."), Length(max=120)],
                             filters=[_strip])
    email = EmailField("Your email", validators=[DataRequired(), Email(), Length(max=254)], filters=[_strip])
    password = PasswordField("Password", validators=[PasswordStrength("shop_name", "owner_name", "email")])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = COUNTRY_CHOICES
        self.timezone.choices = timezone_choices()
        self.currency.choices = currency_choices(self.currency.data or self.currency.default)


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)])
    remember = BooleanField("Keep me signed in on this device (30 days)")


class StaffForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    email = EmailField("Email", validators=[DataRequired(), Email(), Length(max=254)])
    role = SelectField("Role", choices=ROLE_CHOICES, default=Role.ASSOCIATE.value)
    password = PasswordField("Temporary password", validators=[PasswordStrength("name", "email")])

    def __init__(self, *args, user: User | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._user = user
        if user is not None:
            self.password.validators = [PasswordStrength("name", "email", required=False)]
            self.password.label.text = "New password (leave empty to keep)"

    def validate_email(self, field):
        existing = db.session.scalar(sa.select(User).where(User.email == field.data.strip().lower()))
        if existing is not None and existing is not self._user:
            raise ValidationError("Someone on the staff already uses this email.")


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)])
    password = PasswordField("New password", validators=[PasswordStrength()])
    confirm = PasswordField("New password again", validators=[EqualTo("password", "The two new passwords differ.")])

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self._user = user

    def validate_current_password(self, field):
        if not verify_password(self._user.password_hash, field.data):
            raise StopValidation("That is not your current password.")


class ResetPasswordForm(FlaskForm):
    password = PasswordField("New password", validators=[PasswordStrength()])
    confirm = PasswordField("New password again", validators=[EqualTo("password", "The two passwords differ.")])

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self._user = user


def currency_choices(selected: str | None = None) -> list[tuple[str, str]]:
    """The usual currencies, and the one the browser's country uses when it isn't among them."""
    if selected and (selected, selected) not in CURRENCY_CHOICES and len(selected) == 3 and selected.isalpha():
        return CURRENCY_CHOICES + [(selected, selected)]
    return CURRENCY_CHOICES


def browser_defaults() -> dict[str, str]:
    """Country, currency and a time zone for the set-up form from the browser's languages (Accept-Language)."""
    for language, _quality in request.accept_languages:
        try:
            locale = Locale.parse(language.replace("-", "_"))
        except (ValueError, UnknownLocaleError):
            continue
        country = locale.territory or _likely_territory(locale.language)
        if country in phonenumbers.SUPPORTED_REGIONS:
            currencies = get_territory_currencies(country)
            zones = get_global("territory_zones").get(country, ())
            zone = MAIN_ZONES.get(country) or (zones[0] if zones else "UTC")
            return {"country": country, "currency": currencies[0] if currencies else "EUR", "timezone": zone}
    return {"country": "US", "currency": "USD", "timezone": "America/New_York"}


# Where a country spans several zones, the one most of its shops are in (the page's script refines it).
MAIN_ZONES = {"US": "America/New_York", "CA": "America/Toronto", "AU": "Australia/Sydney", "BR": "America/Sao_Paulo",
              "RU": "Europe/Moscow", "MX": "America/Mexico_City", "ES": "Europe/Madrid", "PT": "Europe/Lisbon",
              "NZ": "Pacific/Auckland", "ID": "Asia/Jakarta", "AR": "America/Argentina/Buenos_Aires"}


def _likely_territory(language: str) -> str | None:
    likely = get_global("likely_subtags").get(language, "")
    return likely.split("_")[-1] if likely.count("_") >= 1 else None


def create_shop(form: SetupForm) -> User:
    """Create the shop and its owner from a validated set-up form (page and CLI alike)."""
    shop = Shop(name=form.shop_name.data, country=form.country.data,
                timezone=form.timezone.data, currency=form.currency.data)
    owner = User(name=form.owner_name.data, email=form.email.data.strip().lower(),
                 password_hash=hash_password(form.password.data), role=Role.OWNER)
    db.session.add_all([shop, owner])
    add_default_preference_keys()
    db.session.flush()
    shop_created.send(current_app._get_current_object())
    db.session.commit()
    return owner


# ---- first run -------------------------------------------------------------------

@bp.route("/setup", methods=["GET", "POST"])
def setup():
    if current_shop() is not None:
        return redirect(url_for("auth.login"))
    form = SetupForm(data=browser_defaults() if request.method == "GET" else None)
    if form.validate_on_submit():
        owner = create_shop(form)
        start_session(owner)
        flash(f"Welcome to Clientbook, {owner.first_name}. Your shop is ready.", "success")
        return redirect(url_for("settings.welcome"))
    return render("auth/setup.html", form=form, status=422 if form.errors else 200)


@bp.cli.command("setup-shop")
@click.option("--shop-name", required=True)
@click.option("--country", required=True, help="Two-letter country code, e.g. FR.")
@click.option("--timezone", "timezone_name", required=True, help="IANA time zone, e.g. Europe/Paris.")
@click.option("--currency", required=True, help="Three-letter currency code, e.g. EUR.")
@click.option("--owner-name", required=True)
@click.option("--owner-email", required=True)
def setup_shop_command(shop_name, country, timezone_name, currency, owner_name, owner_email):
    """Set up the shop and its owner without a browser. The password is read from a prompt or standard input."""
    if current_shop() is not None:
        raise click.ClickException("This shop is already set up.")
    if sys.stdin.isatty():
        password = click.prompt("Owner's password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    values = {"shop_name": shop_name, "country": country.upper(), "timezone": timezone_name,
              "currency": currency.upper(), "owner_name": owner_name, "email": owner_email, "password": password}
    with current_app.test_request_context():
        form = SetupForm(formdata=MultiDict(values), meta={"csrf": False})
        if not form.validate():
            for name, errors in form.errors.items():
                click.echo(f"{getattr(form, name).label.text}: {' '.join(errors)}", err=True)
            raise click.ClickException("Nothing was saved.")
        owner = create_shop(form)
    click.echo(f"{shop_name} is set up. {owner.name} can sign in as owner with {owner.email}.")


# ---- log in / out ----------------------------------------------------------------

@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_shop() is None:
        return redirect(url_for("auth.setup"))
    next_page = safe_next(request.args.get("next"), url_for("home"))
    if current_user.is_authenticated:
        return redirect(next_page)
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        user = db.session.scalar(sa.select(User).where(User.email == email))
        throttle = sign_in_throttle(email, user)
        if throttle is not None:
            form.email.errors.append(throttle.message)
            response = render("auth/login.html", form=form, status=429)
            response.headers["Retry-After"] = str(throttle.retry_after)
            return response
        # The password is checked for every outcome (unknown, deactivated, wrong): the same work each time.
        password_ok = verify_password(user.password_hash if user else None, form.password.data)
        if user is not None and user.active and password_ok:
            clear_failures(email, user)
            user.last_login_at = utcnow()
            start_session(user, remember=form.remember.data)
            response = redirect(next_page)
            trust_this_device(response, user)
            return response
        record_failure(email, user)
        form.password.errors.append("That email and password don't match an active account.")
        status = 401
    return render("auth/login.html", form=form, status=status)


@bp.post("/logout")
@login_required
def logout():
    end_current_session()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


# ---- your own account ------------------------------------------------------------

@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    form = ChangePasswordForm(user=current_user._get_current_object())
    if form.validate_on_submit():
        user = current_user._get_current_object()
        user.password_hash = hash_password(form.password.data)
        db.session.commit()
        # A new password ends every session, this one included; this browser continues in a fresh one.
        remember = bool(current_session() and current_session().remember)
        end_all_sessions(user.id)
        start_session(user, remember=remember)
        flash("Your password is changed. Every other device was signed out.", "success")
        return redirect(url_for("auth.account"), 303)
    return render("auth/account.html", form=form, open_sessions=open_session_count(current_user.id),
                  status=422 if form.errors else 200)


@bp.post("/account/sign-out-everywhere")
@login_required
def sign_out_everywhere():
    end_all_sessions(current_user.id)
    logout_user()
    flash("You are signed out on every device.", "info")
    return redirect(url_for("auth.login"), 303)


# ---- one-time reset links ------------------------------------------------------------

RESET_LINK_LIFETIME = timedelta(hours=24)


def may_reset(actor: User, user: User) -> bool:
    """Owners reset anyone's password; managers reset associates'."""
    return actor.is_owner or (actor.role == Role.MANAGER and user.role == Role.ASSOCIATE)


@bp.post("/staff/<int:user_id>/reset-link")
@manager_required
def issue_reset_link(user_id: int):
    user = db.get_or_404(User, user_id)
    if not may_reset(current_user, user) or user.id == current_user.id:
        abort(403)
    token = secrets.token_urlsafe(32)
    # A new link replaces any earlier one.
    db.session.execute(sa.delete(PasswordReset).where(PasswordReset.user_id == user.id))
    db.session.add(PasswordReset(token_hash=_digest(token), user_id=user.id, issued_by_id=current_user.id,
                                 expires_at=utcnow() + RESET_LINK_LIFETIME))
    db.session.commit()
    link = external_url("auth.reset_password", token=token)
    if mail_configured():
        try:
            send_email(_reset_email(user, link))
        except (smtplib.SMTPException, OSError) as error:
            current_app.logger.warning("Reset link email to %s failed: %s", user.email, error)
        else:
            flash(f"A reset link is on its way to {user.email}. It works once, for 24 hours.", "success")
            return redirect(url_for("auth.list_staff"), 303)
    # No mail server (or it failed): show the link once, to hand over in person.
    response = render("auth/reset_link.html", user=user, link=link)
    return response


def _reset_email(user: User, link: str) -> EmailMessage:
    shop = current_shop()
    message = EmailMessage()
    message["To"] = user.email
    message["Subject"] = f"Choose a new password for {shop.name if shop else 'Clientbook'}"
    message.set_content(f"Hello {user.first_name},\n\nOpen this link to choose a new password. "
                        f"It works once, within 24 hours:\n\n{link}\n\nIf you did not ask for it, ignore this email.\n")
    return message


def _valid_reset(token: str) -> PasswordReset | None:
    if len(token) > 100:
        return None
    reset = db.session.scalar(sa.select(PasswordReset).where(PasswordReset.token_hash == _digest(token)))
    if reset is None or reset.used_at is not None or reset.expires_at <= utcnow() or not reset.user.active:
        return None
    return reset


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    reset = _valid_reset(token)
    if reset is None:
        return render("error.html", title="This link does not work",
                      message="It was used already, has expired, or was replaced by a newer one. "
                              "Ask the shop's owner or a manager for a new link.", status=404)
    form = ResetPasswordForm(user=reset.user)
    if form.validate_on_submit():
        reset.used_at = utcnow()
        reset.user.password_hash = hash_password(form.password.data)
        db.session.commit()
        end_all_sessions(reset.user_id)
        if current_user.is_authenticated:
            logout_user()
        flash("Your new password is set. Sign in with it.", "success")
        return redirect(url_for("auth.login"), 303)
    response = render("auth/reset.html", form=form, user=reset.user, status=422 if form.errors else 200)
    response.headers["Referrer-Policy"] = "no-referrer"  # the token is in the address
    return response


# ---- staff -----------------------------------------------------------------------

@bp.get("/staff")
@manager_required
def list_staff():
    return render("auth/staff.html", staff=staff_roster(), form=StaffForm(), may_reset=may_reset)


@bp.post("/staff")
@owner_required
def create_staff():
    form = StaffForm()
    if form.validate_on_submit():
        user = User(name=form.name.data.strip(), email=form.email.data.strip().lower(),
                    role=Role(form.role.data), password_hash=hash_password(form.password.data))
        db.session.add(user)
        db.session.commit()
        flash(f"{user.name} can now sign in as {user.role.label.lower()} with the temporary password.", "success")
        return redirect(url_for("auth.list_staff"), 303)
    return render("auth/staff.html", staff=staff_roster(), form=form, may_reset=may_reset, status=422)


@bp.route("/staff/<int:user_id>", methods=["GET", "POST"])
@owner_required
def edit_staff(user_id: int):
    user = db.get_or_404(User, user_id)
    form = StaffForm(obj=user, user=user)
    if request.method == "GET":
        form.role.data = user.role.value
    if form.validate_on_submit():
        new_role = Role(form.role.data)
        if user.is_owner and new_role != Role.OWNER and _active_owner_count() == 1:
            form.role.errors.append("The shop needs at least one active owner.")
        else:
            user.name = form.name.data.strip()
            user.email = form.email.data.strip().lower()
            user.role = new_role
            if form.password.data:
                user.password_hash = hash_password(form.password.data)
            db.session.commit()
            if form.password.data:
                end_all_sessions(user.id, keep=current_session() if user.id == current_user.id else None)
            flash(f"Saved {user.name}.", "success")
            return redirect(url_for("auth.list_staff"), 303)
    return render("auth/staff_edit.html", user=user, form=form, status=422 if form.errors else 200)


@bp.post("/staff/<int:user_id>/active")
@owner_required
def set_staff_active(user_id: int):
    user = db.get_or_404(User, user_id)
    make_active = request.form.get("active") == "1"
    if not make_active and user.is_owner and _active_owner_count() == 1:
        flash("The shop needs at least one active owner.", "error")
        return redirect(url_for("auth.list_staff"), 303)
    user.active = make_active
    db.session.commit()
    if not make_active:
        end_all_sessions(user.id)
    flash(f"{user.name} is {'active again' if make_active else 'deactivated and signed out'}.", "success")
    return redirect(url_for("auth.list_staff"), 303)


def _active_owner_count() -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(User).where(User.role == Role.OWNER, User.active.is_(True))
    )


# ---- wiring ----------------------------------------------------------------------

def init_app(app: Flask) -> None:
    from clientbook import sessions

    sessions.init_app(app)
    app.register_blueprint(bp)

    @app.before_request
    def require_setup():
        # Nothing works until the shop and its owner exist; static files and set-up itself excepted.
        if request.endpoint in (None, "static", "service_worker", "auth.setup") or request.blueprint == "public":
            return None
        if current_shop() is None:
            return redirect(url_for("auth.setup"))
        return None

    @app.context_processor
    def inject_shop():
        return {"shop": current_shop()}

    @app.get("/")
    @login_required
    def home():
        return redirect(url_for("reminders.today"))
