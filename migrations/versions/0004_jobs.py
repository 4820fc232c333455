"""Jobs, stages, stage changes and photos

Revision ID: 0004_jobs
Revises: 0003_ops
Create Date: 2026-12-02 04:45:59.840360

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004_jobs'
down_revision = '0003_ops'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('job_type',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('is_opportunity', sa.Boolean(), nullable=False),
    sa.Column('ticket_prefix', sa.String(length=2), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('stage',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_type_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['job_type_id'], ['job_type.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('job_type_id', 'name', name='uq_stage_type_name')
    )
    with op.batch_alter_table('stage', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stage_job_type_id'), ['job_type_id'], unique=False)

    op.create_table('job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('job_type_id', sa.Integer(), nullable=False),
    sa.Column('stage_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('ticket', sa.String(length=12), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('value_cents', sa.BigInteger(), nullable=True),
    sa.Column('deposit_cents', sa.BigInteger(), nullable=False),
    sa.Column('assigned_to_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('stage_entered_at', sa.DateTime(), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.Column('wishlist_item_id', sa.Integer(), nullable=True),
    sa.Column('purchase_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['assigned_to_id'], ['user.id'], ),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], ),
    sa.ForeignKeyConstraint(['job_type_id'], ['job_type.id'], ),
    sa.ForeignKeyConstraint(['purchase_id'], ['purchase.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['stage_id'], ['stage.id'], ),
    sa.ForeignKeyConstraint(['wishlist_item_id'], ['wishlist_item.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('ticket')
    )
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.create_index('ix_job_assignee_due', ['assigned_to_id', 'closed_at', 'due_on'], unique=False)
        batch_op.create_index('ix_job_client_closed', ['client_id', 'closed_at'], unique=False)
        batch_op.create_index('ix_job_type_stage', ['job_type_id', 'stage_id', 'due_on'], unique=False)

    op.create_table('photo',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=True),
    sa.Column('wishlist_item_id', sa.Integer(), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['job_id'], ['job.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user.id'], ),
    sa.ForeignKeyConstraint(['wishlist_item_id'], ['wishlist_item.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('photo', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_photo_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_photo_job_id'), ['job_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_photo_sha256'), ['sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_photo_wishlist_item_id'), ['wishlist_item_id'], unique=False)

    op.create_table('stage_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('from_stage_id', sa.Integer(), nullable=True),
    sa.Column('to_stage_id', sa.Integer(), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.Column('reopened', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['changed_by_id'], ['user.id'], ),
    sa.ForeignKeyConstraint(['from_stage_id'], ['stage.id'], ),
    sa.ForeignKeyConstraint(['job_id'], ['job.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['to_stage_id'], ['stage.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('stage_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stage_change_job_id'), ['job_id'], unique=False)
        batch_op.create_index('ix_stage_change_stage_at', ['to_stage_id', 'changed_at'], unique=False)

    with op.batch_alter_table('reminder', schema=None) as batch_op:
        batch_op.add_column(sa.Column('job_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_reminder_job_id'), ['job_id'], unique=False)
        batch_op.create_foreign_key('fk_reminder_job_id', 'job', ['job_id'], ['id'], ondelete='CASCADE')

    with op.batch_alter_table('reminder_rule', schema=None) as batch_op:
        batch_op.add_column(sa.Column('job_stage_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_reminder_rule_job_stage_id', 'stage', ['job_stage_id'], ['id'], ondelete='CASCADE')



def downgrade():
    with op.batch_alter_table('reminder_rule', schema=None) as batch_op:
        batch_op.drop_constraint('fk_reminder_rule_job_stage_id', type_='foreignkey')
        batch_op.drop_column('job_stage_id')

    with op.batch_alter_table('reminder', schema=None) as batch_op:
        batch_op.drop_constraint('fk_reminder_job_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_reminder_job_id'))
        batch_op.drop_column('job_id')

    with op.batch_alter_table('stage_change', schema=None) as batch_op:
        batch_op.drop_index('ix_stage_change_stage_at')
        batch_op.drop_index(batch_op.f('ix_stage_change_job_id'))

    op.drop_table('stage_change')
    with op.batch_alter_table('photo', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_photo_wishlist_item_id'))
        batch_op.drop_index(batch_op.f('ix_photo_sha256'))
        batch_op.drop_index(batch_op.f('ix_photo_job_id'))
        batch_op.drop_index(batch_op.f('ix_photo_client_id'))

    op.drop_table('photo')
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_index('ix_job_type_stage')
        batch_op.drop_index('ix_job_client_closed')
        batch_op.drop_index('ix_job_assignee_due')

    op.drop_table('job')
    with op.batch_alter_table('stage', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stage_job_type_id'))

    op.drop_table('stage')
    op.drop_table('job_type')
