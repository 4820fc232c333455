"""Import jobs, prior purchase history, note source

Revision ID: 0005_imports
Revises: 0004_jobs
Create Date: 2026-12-02 04:46:21.369013

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005_imports'
down_revision = '0004_jobs'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('import_job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('assign_to_id', sa.Integer(), nullable=True),
    sa.Column('mapping', sa.JSON(), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('problems', sa.JSON(), nullable=True),
    sa.Column('problem_count', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('worker', sa.String(length=120), nullable=False),
    sa.Column('heartbeat_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['assign_to_id'], ['user.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token')
    )
    with op.batch_alter_table('import_job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_job_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_import_job_user_id'), ['user_id'], unique=False)

    op.create_table('import_undo',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('table_name', sa.String(length=40), nullable=False),
    sa.Column('row_id', sa.Integer(), nullable=False),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['job_id'], ['import_job.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('import_undo', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_undo_job_id'), ['job_id'], unique=False)

    # Plain ADD/DROP COLUMN (SQLite >= 3.35): a batch rebuild of client would drop its expression index.
    op.add_column('client', sa.Column('prior_spent_cents', sa.BigInteger(), server_default='0', nullable=False))
    op.add_column('client', sa.Column('prior_orders', sa.Integer(), server_default='0', nullable=False))
    op.add_column('client', sa.Column('prior_as_of', sa.Date(), nullable=True))
    op.add_column('note', sa.Column('source', sa.String(length=40), server_default='', nullable=False))


def downgrade():
    op.drop_column('note', 'source')
    op.drop_column('client', 'prior_as_of')
    op.drop_column('client', 'prior_orders')
    op.drop_column('client', 'prior_spent_cents')

    with op.batch_alter_table('import_undo', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_undo_job_id'))

    op.drop_table('import_undo')
    with op.batch_alter_table('import_job', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_job_user_id'))
        batch_op.drop_index(batch_op.f('ix_import_job_state'))

    op.drop_table('import_job')
