"""Shops set up before job-stage rules were seeded get the two default ones

"3 days after a repair enters Ready to collect: call to arrange pick-up" and "2 days after a custom
order is Delivered: thank-you", each with its message template, only where that stage exists and no
rule for it does. A shop whose defaults were never seeded is left alone: its first generation run
seeds them all (reminders.defaults.ensure_default_rules).

Revision ID: 0013_today_rules
Revises: 0012_today
Create Date: 2026-12-02 08:30:00

"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa

from clientbook.reminders.defaults import DEFAULT_JOB_RULES, DEFAULT_TEMPLATES

revision = '0013_today_rules'
down_revision = '0012_today'
branch_labels = None
depends_on = None

job_type = sa.table('job_type', sa.column('id', sa.Integer), sa.column('name', sa.String))
stage = sa.table('stage', sa.column('id', sa.Integer), sa.column('job_type_id', sa.Integer),
                 sa.column('name', sa.String))
run_state = sa.table('reminder_run_state', sa.column('defaults_seeded', sa.Boolean))
template = sa.table('message_template', sa.column('id', sa.Integer), sa.column('name', sa.String),
                    sa.column('channel', sa.String), sa.column('subject', sa.String), sa.column('body', sa.Text),
                    sa.column('active', sa.Boolean), sa.column('created_at', sa.DateTime),
                    sa.column('updated_at', sa.DateTime))
rule = sa.table('reminder_rule', sa.column('id', sa.Integer), sa.column('name', sa.String),
                sa.column('trigger', sa.String), sa.column('date_kind', sa.String), sa.column('days', sa.Integer),
                sa.column('categories', sa.String), sa.column('min_amount_cents', sa.BigInteger),
                sa.column('job_stage_id', sa.Integer), sa.column('message_template_id', sa.Integer),
                sa.column('enabled', sa.Boolean), sa.column('auto_send', sa.Boolean),
                sa.column('auto_send_channel', sa.String), sa.column('is_default', sa.Boolean),
                sa.column('created_at', sa.DateTime), sa.column('updated_at', sa.DateTime))


def upgrade():
    connection = op.get_bind()
    if not connection.scalar(sa.select(sa.func.count()).select_from(run_state).where(
            run_state.c.defaults_seeded.is_(True))):
        return
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    for name, type_name, stage_name, days, template_key in DEFAULT_JOB_RULES:
        stage_id = connection.scalar(sa.select(stage.c.id).join(job_type, job_type.c.id == stage.c.job_type_id)
                                     .where(job_type.c.name == type_name, stage.c.name == stage_name).limit(1))
        if stage_id is None or connection.scalar(sa.select(rule.c.id).where(
                rule.c.trigger == 'job_stage', rule.c.job_stage_id == stage_id).limit(1)) is not None:
            continue
        template_name, body = DEFAULT_TEMPLATES[template_key]
        template_id = connection.execute(template.insert().values(
            name=template_name, channel='sms', subject=template_name, body=body, active=True,
            created_at=now, updated_at=now).returning(template.c.id)).scalar_one()
        connection.execute(rule.insert().values(
            name=name, trigger='job_stage', date_kind=None, days=days, categories='', min_amount_cents=None,
            job_stage_id=stage_id, message_template_id=template_id, enabled=True, auto_send=False,
            auto_send_channel=None, is_default=True, created_at=now, updated_at=now))


def downgrade():
    # The rules stay: by now the shop may have edited them, and reminders point at them.
    pass
