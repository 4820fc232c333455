"""Jobs board: per-stage totals from a covering index

Revision ID: 0009_jobs_board
Revises: 0008_conv_jobs
Create Date: 2026-12-02 05:45:00

"""
from alembic import op


revision = '0009_jobs_board'
down_revision = '0008_conv_jobs'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.create_index('ix_job_board_totals',
                              ['job_type_id', 'stage_id', 'closed_at', 'value_cents', 'assigned_to_id'], unique=False)


def downgrade():
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_index('ix_job_board_totals')
