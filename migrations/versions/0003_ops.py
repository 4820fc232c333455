"""Used form tokens, the privacy log, and when a digest attempt started

Revision ID: 0003_ops
Revises: 0002_conversations
Create Date: 2026-12-02 05:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0003_ops'
down_revision = '0002_conversations'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('used_form_token',
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('token')
    )
    with op.batch_alter_table('used_form_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_used_form_token_used_at'), ['used_at'], unique=False)

    op.create_table('privacy_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('summary', sa.String(length=300), nullable=False),
    sa.Column('done_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('digest_delivery', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sending_since', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('digest_delivery', schema=None) as batch_op:
        batch_op.drop_column('sending_since')
    op.drop_table('privacy_request')
    with op.batch_alter_table('used_form_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_used_form_token_used_at'))
    op.drop_table('used_form_token')
