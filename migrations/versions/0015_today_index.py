"""Today's "ready to collect" jobs read from an index: assignee, stage, when it entered the stage

Revision ID: 0015_today_index
Revises: 0014_book_search
Create Date: 2026-12-02 08:45:00

"""
from alembic import op


revision = '0015_today_index'
down_revision = '0014_book_search'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.create_index('ix_job_assignee_stage_entered', ['assigned_to_id', 'stage_id', 'stage_entered_at'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_index('ix_job_assignee_stage_entered')
