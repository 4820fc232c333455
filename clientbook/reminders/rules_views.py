"""Settings -> Reminders: the rules a manager sets, with a preview of what each would create."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, flash, redirect, request, url_for

from clientbook.extensions import db
from clientbook.mail import mail_configured
from clientbook.money import format_money_input
from clientbook.models import MessageTemplate, Reminder, ReminderRule
from clientbook.models.reminders import OPEN_STATES
from clientbook.reminders.defaults import run_state
from clientbook.reminders.digest import link_base
from clientbook.reminders.forms import RuleForm
from clientbook.reminders.generation import generate, preview_count
from clientbook.reminders.rules import LOOKAHEAD_DAYS
from clientbook.reminders.views import bp
from clientbook.roles import manager_required
from clientbook.shop import shop_today
from clientbook.web import htmx_only, render

TRIGGER_ORDER = {"date": 0, "purchase": 1, "lapsed": 2, "job_stage": 3}
KIND_ORDER = {"birthday": 0, "anniversary": 1, "custom": 2}


def _templates() -> list[MessageTemplate]:
    return list(db.session.scalars(
        sa.select(MessageTemplate).where(MessageTemplate.active.is_(True)).order_by(MessageTemplate.name)
    ))


def _rules() -> list[ReminderRule]:
    rules = db.session.scalars(sa.select(ReminderRule)).all()
    return sorted(rules, key=lambda r: (TRIGGER_ORDER.get(r.trigger, 9), KIND_ORDER.get(r.date_kind or "", 9),
                                        -r.days if r.trigger == "date" else r.days, r.id))


def _last_generated():
    """The day reminders were last brought up to date; when the run state has none (reminders
    made by an import or an upgrade), the day the newest rule reminder was created, shop time."""
    state = run_state()
    if state.last_generated_day:
        return state.last_generated_day
    newest = db.session.scalar(sa.select(sa.func.max(Reminder.created_at)).where(Reminder.rule_id.is_not(None)))
    if newest is None:
        return None
    return shop_today(newest)


def _page(form: RuleForm, status: int = 200):
    rules = _rules()
    return render(
        "reminders/rules.html", rules=rules, form=form, status=status,
        date_rules=[r for r in rules if r.trigger == "date"],
        purchase_rules=[r for r in rules if r.trigger == "purchase"],
        lapsed_rules=[r for r in rules if r.trigger == "lapsed"],
        job_rules=[r for r in rules if r.trigger == "job_stage"],
        mail_ready=mail_configured(), link_base=link_base(), state=run_state(), last_generated=_last_generated(),
        has_server_url=bool(current_app.config.get("SERVER_URL")),
    )


def _refresh_rule(rule: ReminderRule) -> None:
    """After an edit: open reminders not yet due are rebuilt under the rule as it is now."""
    today = shop_today()
    db.session.execute(
        sa.delete(Reminder).where(Reminder.rule_id == rule.id, Reminder.state.in_(OPEN_STATES),
                                  Reminder.due_date > today)
        .execution_options(synchronize_session=False)
    )
    if rule.enabled:
        generate(today + timedelta(days=1), today + timedelta(days=LOOKAHEAD_DAYS), rules=[rule])


@bp.get("/settings/reminders")
@manager_required
def rules():
    return _page(RuleForm(templates=_templates(), formdata=None, enabled=True))


@bp.post("/settings/reminders")
@manager_required
def create_rule():
    form = RuleForm(templates=_templates())
    if not form.validate_on_submit():
        return _page(form, 422)
    rule = ReminderRule()
    form.apply_to(rule)
    db.session.add(rule)
    db.session.flush()
    _refresh_rule(rule)
    db.session.commit()
    flash(f"Added the rule “{rule.name}”.", "success")
    return redirect(url_for("reminders.rules"), 303)


@bp.route("/settings/reminders/<int:rule_id>", methods=["GET", "POST"])
@manager_required
def edit_rule(rule_id: int):
    rule = db.get_or_404(ReminderRule, rule_id)
    form = RuleForm(templates=_templates(), obj=rule)
    if request.method == "GET":
        form.message_template_id.data = rule.message_template_id or 0
        form.min_amount.data = format_money_input(rule.min_amount_cents)
        form.date_kind.data = rule.date_kind or "birthday"
        form.job_stage_id.data = rule.job_stage_id or 0
        form.auto_send_channel.data = rule.auto_send_channel or ""
    if form.validate_on_submit():
        form.apply_to(rule)
        _refresh_rule(rule)
        db.session.commit()
        flash(f"Saved “{rule.name}”.", "success")
        return redirect(url_for("reminders.rules"), 303)
    preview = preview_count(rule, shop_today()) if rule.enabled else None
    return render("reminders/rule_edit.html", rule=rule, form=form, preview=preview,
                  status=422 if form.errors else 200)


@bp.get("/settings/reminders/<int:rule_id>/preview")
@manager_required
@htmx_only
def preview_rule(rule_id: int):
    rule = db.get_or_404(ReminderRule, rule_id)
    return render("reminders/rules.html", "preview", rule=rule, count=preview_count(rule, shop_today()))


@bp.post("/settings/reminders/<int:rule_id>/enabled")
@manager_required
def set_rule_enabled(rule_id: int):
    rule = db.get_or_404(ReminderRule, rule_id)
    rule.enabled = request.form.get("enabled") == "1"
    _refresh_rule(rule)
    db.session.commit()
    flash(f"“{rule.name}” is {'on' if rule.enabled else 'off'}.", "success")
    return redirect(url_for("reminders.rules"), 303)


@bp.post("/settings/reminders/<int:rule_id>/delete")
@manager_required
def delete_rule(rule_id: int):
    rule = db.get_or_404(ReminderRule, rule_id)
    if rule.is_default:
        flash("Default rules can be switched off, not deleted.", "error")
        return redirect(url_for("reminders.rules"), 303)
    # Open reminders go with the rule; finished ones stay in the history (their rule_id becomes NULL).
    db.session.execute(sa.delete(Reminder).where(Reminder.rule_id == rule.id, Reminder.state.in_(OPEN_STATES))
                       .execution_options(synchronize_session=False))
    db.session.execute(sa.update(Reminder).where(Reminder.rule_id == rule.id).values(rule_id=None)
                       .execution_options(synchronize_session=False))
    db.session.delete(rule)
    db.session.commit()
    flash(f"Deleted the rule “{rule.name}”.", "success")
    return redirect(url_for("reminders.rules"), 303)


@bp.post("/settings/reminders/run")
@manager_required
def run_now():
    from clientbook.reminders.tasks import generate_reminders_now

    generate_reminders_now()
    flash("Reminders are being brought up to date.", "success")
    return redirect(url_for("reminders.rules"), 303)
