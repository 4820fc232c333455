"""The rules and message templates a new shop starts with."""
from __future__ import annotations

import sqlalchemy as sa

from clientbook.extensions import db
from clientbook.jobs.records import ensure_job_types
from clientbook.models import JobType, MessageTemplate, ReminderRule, ReminderRunState, Stage

DEFAULT_TEMPLATES = {
    "upcoming": (
        "Occasion coming up",
        "Hello {first_name}, {date_label} is coming up soon. I have a few ideas you might like — "
        "shall I set some aside for you? {associate_first_name}, {shop_name}",
    ),
    "birthday": (
        "Birthday greeting",
        "Warm wishes for {date_label}, {first_name}! Everyone at {shop_name} hopes it is a "
        "wonderful day. {associate_first_name}",
    ),
    "anniversary": (
        "Anniversary",
        "Happy anniversary, {first_name}! Warm wishes from all of us at {shop_name}. {associate_first_name}",
    ),
    "thank_you": (
        "Thank-you",
        "Thank you for your visit to {shop_name}, {first_name}. I hope you love your {last_item}. "
        "If anything needs adjusting, just reply here. {associate_first_name}",
    ),
    "check_in": (
        "Check-in",
        "Hello {first_name}, how are you getting on with your {last_item}? We're here if you need "
        "anything. {associate_first_name}, {shop_name}",
    ),
    "lapsed": (
        "We miss you",
        "Hello {first_name}, it's been a while! We have new pieces at {shop_name} I think you'd like. "
        "Come by any time. {associate_first_name}",
    ),
    "pick_up": (
        "Pick-up",
        "Hello {first_name}, your {job_title} (ticket {ticket}) is waiting for you at {shop_name}. "
        "When would suit you to collect it? {associate_first_name}",
    ),
    "delivered": (
        "Thank-you for your order",
        "Thank you, {first_name}, for trusting {shop_name} with your {job_title}. I hope you love it. "
        "If anything needs adjusting, just reply here. {associate_first_name}",
    ),
}

# (name, trigger, date_kind, days, template key, enabled)
DEFAULT_RULES = (
    ("Birthday coming up", "date", "birthday", 14, "upcoming", True),
    ("Birthday", "date", "birthday", 0, "birthday", True),
    ("Anniversary coming up", "date", "anniversary", 14, "upcoming", True),
    ("Anniversary", "date", "anniversary", 0, "anniversary", True),
    ("Thank-you", "purchase", None, 2, "thank_you", True),
    ("Check-in", "purchase", None, 30, "check_in", False),
    ("Lapsed client", "lapsed", None, 180, "lapsed", True),
)
# (name, job type, stage, days after the job enters it, template key): each only where that stage exists.
# The data migration 0013_today_rules gives shops set up earlier the same two rules.
DEFAULT_JOB_RULES = (
    ("Call to arrange pick-up", "Repair", "Ready to collect", 3, "pick_up"),
    ("Thank-you for the order", "Custom order", "Delivered", 2, "delivered"),
)


def run_state() -> ReminderRunState:
    state = db.session.scalar(sa.select(ReminderRunState).order_by(ReminderRunState.id).limit(1))
    if state is None:
        state = ReminderRunState()
        db.session.add(state)
        db.session.flush()
    return state


def ensure_default_rules() -> bool:
    """Seed the default rules and their templates once per install; True if it did.

    Runs inside the caller's transaction (it is a shop_created receiver): adds, never commits.
    A shop that later switches every rule off keeps them off.
    """
    state = run_state()
    if state.defaults_seeded:
        return False
    state.defaults_seeded = True
    if db.session.scalar(sa.select(sa.func.count()).select_from(ReminderRule)):
        return False
    templates = {}
    for key, (name, body) in DEFAULT_TEMPLATES.items():
        templates[key] = MessageTemplate(name=name, channel="sms", subject=name, body=body)
        db.session.add(templates[key])
    for name, trigger, date_kind, days, template_key, enabled in DEFAULT_RULES:
        db.session.add(ReminderRule(
            name=name, trigger=trigger, date_kind=date_kind, days=days, enabled=enabled,
            is_default=True, message_template=templates[template_key],
        ))
    # The job types are seeded with the rules, so the stage rules have their stages from day one.
    ensure_job_types()
    for name, type_name, stage_name, days, template_key in DEFAULT_JOB_RULES:
        stage_id = db.session.scalar(sa.select(Stage.id).join(JobType, JobType.id == Stage.job_type_id).where(
            JobType.name == type_name, Stage.name == stage_name).limit(1))
        if stage_id is not None:
            db.session.add(ReminderRule(name=name, trigger="job_stage", job_stage_id=stage_id, days=days,
                                        enabled=True, is_default=True, message_template=templates[template_key]))
    db.session.flush()
    return True
