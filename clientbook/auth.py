"""First-run set-up, log in/out and staff management."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import Blueprint, Flask, current_app, flash, redirect, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, ValidationError

from clientbook.extensions import db, login_manager
from clientbook.models import LoginAttempt, Role, Shop, User, utcnow
from clientbook.passwords import MIN_PASSWORD_LENGTH, burn_verification_time, hash_password, verify_password
from clientbook.roles import owner_required
from clientbook.settings import add_default_preference_keys
from clientbook.shop import COUNTRY_CHOICES, CURRENCY_CHOICES, current_shop, timezone_choices
from clientbook.signals import shop_created
from clientbook.staff import staff_roster
from clientbook.web import render

bp = Blueprint("auth", __name__)

ROLE_CHOICES = [(r.value, r.label) for r in Role]


# ---- forms -------------------------------------------------------------------

class PasswordStrength:
    def __call__(self, form, field):
        if len(field.data or "") < MIN_PASSWORD_LENGTH:
            raise ValidationError(f"Use at least {MIN_PASSWORD_LENGTH} characters.")


class SetupForm(FlaskForm):
    shop_name = StringField("Shop name", validators=[DataRequired(), Length(max=120)])
    country = SelectField("Country", choices=COUNTRY_CHOICES, default="FR")
    timezone = SelectField("Time zone", default="Europe/Paris")
    currency = SelectField("Currency", choices=CURRENCY_CHOICES, default="EUR")
    owner_name = StringField("Your name", validators=[DataRequired(), Length(max=120)])
    email = EmailField("Your email", validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), PasswordStrength()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.timezone.choices = timezone_choices()


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired()])
    remember = BooleanField("Keep me signed in on this device")


class StaffForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    email = EmailField("Email", validators=[DataRequired(), Email(), Length(max=254)])
    role = SelectField("Role", choices=ROLE_CHOICES, default=Role.ASSOCIATE.value)
    password = PasswordField("Temporary password", validators=[PasswordStrength()])

    def __init__(self, *args, user: User | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._user = user
        if user is not None:
            self.password.validators = []
            self.password.label.text = "New password (leave empty to keep)"

    def validate_email(self, field):
        existing = db.session.scalar(sa.select(User).where(User.email == field.data.strip().lower()))
        if existing is not None and existing is not self._user:
            raise ValidationError("Someone on the staff already uses this email.")

    def validate_password(self, field):
        if self._user is not None and field.data:
            PasswordStrength()(self, field)


# ---- session loading -----------------------------------------------------------

@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    user_id, _, version = session_id.partition(":")
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    # A stale session_version means the user was deactivated or their password changed.
    if user is None or not user.active or str(user.session_version) != version:
        return None
    return user


login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to continue."
login_manager.login_message_category = "info"


# ---- first run -------------------------------------------------------------------

@bp.route("/setup", methods=["GET", "POST"])
def setup():
    if current_shop() is not None:
        return redirect(url_for("auth.login"))
    form = SetupForm()
    if form.validate_on_submit():
        shop = Shop(name=form.shop_name.data.strip(), country=form.country.data,
                    timezone=form.timezone.data, currency=form.currency.data)
        owner = User(name=form.owner_name.data.strip(), email=form.email.data.strip().lower(),
                     password_hash=hash_password(form.password.data), role=Role.OWNER)
        db.session.add_all([shop, owner])
        add_default_preference_keys()
        db.session.flush()
        shop_created.send(current_app._get_current_object())
        db.session.commit()
        login_user(owner)
        flash(f"Welcome to Clientbook, {owner.first_name}. Your shop is ready.", "success")
        return redirect(url_for("settings.welcome"))
    return render("auth/setup.html", form=form, status=422 if form.errors else 200)


# ---- log in / out ----------------------------------------------------------------

def _attempt_keys(email: str) -> list[str]:
    return [f"account:{email}", f"address:{request.remote_addr or 'unknown'}"]


def is_rate_limited(email: str) -> bool:
    window_start = utcnow() - timedelta(seconds=current_app.config["LOGIN_RATE_WINDOW_SECONDS"])
    limit = current_app.config["LOGIN_RATE_LIMIT"]
    for key in _attempt_keys(email):
        count = db.session.scalar(
            sa.select(sa.func.count()).select_from(LoginAttempt)
            .where(LoginAttempt.key == key, LoginAttempt.at >= window_start)
        )
        # The address limit is looser: a shop's tablets share one public address.
        if count >= (limit if key.startswith("account:") else limit * 4):
            return True
    return False


def _record_failure(email: str) -> None:
    db.session.add_all(LoginAttempt(key=key) for key in _attempt_keys(email))
    db.session.commit()


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_shop() is None:
        return redirect(url_for("auth.setup"))
    if current_user.is_authenticated:
        return redirect(url_for("home"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        if is_rate_limited(email):
            form.email.errors.append("Too many failed attempts. Wait 15 minutes and try again.")
            return render("auth/login.html", form=form, status=429)
        user = db.session.scalar(sa.select(User).where(User.email == email))
        if user is None:
            burn_verification_time()
        if user is not None and user.active and verify_password(user.password_hash, form.password.data):
            db.session.execute(sa.delete(LoginAttempt).where(LoginAttempt.key == f"account:{email}"))
            user.last_login_at = utcnow()
            db.session.commit()
            login_user(user, remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")) or url_for("home"))
        _record_failure(email)
        form.password.errors.append("That email and password don't match an active account.")
        status = 401
    return render("auth/login.html", form=form, status=status)


def _safe_next(target: str | None) -> str | None:
    # Only same-site paths: never bounce a signed-in user to another host.
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


# ---- staff -----------------------------------------------------------------------

@bp.get("/staff")
@owner_required
def list_staff():
    return render("auth/staff.html", staff=staff_roster(), form=StaffForm())


@bp.post("/staff")
@owner_required
def create_staff():
    form = StaffForm()
    if not form.password.data:
        form.password.validators = [DataRequired(), PasswordStrength()]
    if form.validate_on_submit():
        user = User(name=form.name.data.strip(), email=form.email.data.strip().lower(),
                    role=Role(form.role.data), password_hash=hash_password(form.password.data))
        db.session.add(user)
        db.session.commit()
        flash(f"{user.name} can now sign in as {user.role.label.lower()} with the temporary password.", "success")
        return redirect(url_for("auth.list_staff"), 303)
    return render("auth/staff.html", staff=staff_roster(), form=form, status=422)


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
                user.session_version += 1
            db.session.commit()
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
    if not make_active:
        user.session_version += 1  # signs them out everywhere
    db.session.commit()
    flash(f"{user.name} is {'active again' if make_active else 'deactivated and signed out'}.", "success")
    return redirect(url_for("auth.list_staff"), 303)


def _active_owner_count() -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(User).where(User.role == Role.OWNER, User.active.is_(True))
    )


# ---- wiring ----------------------------------------------------------------------

def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

    @app.before_request
    def require_setup():
        # Nothing works until the shop and its owner exist; static files and set-up itself excepted.
        if request.endpoint in (None, "static", "auth.setup") or request.blueprint == "public":
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
