"""The store book is the default: a new shop lets associates find and open every client.

Revision ID: 0006_floor
Revises: 0005_imports
"""
from alembic import op
import sqlalchemy as sa

revision = "0006_floor"
down_revision = "0005_imports"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("shop", schema=None) as batch_op:
        batch_op.alter_column("associates_see_all_clients", existing_type=sa.Boolean(), existing_nullable=False,
                              server_default=sa.true())


def downgrade():
    with op.batch_alter_table("shop", schema=None) as batch_op:
        batch_op.alter_column("associates_see_all_clients", existing_type=sa.Boolean(), existing_nullable=False,
                              server_default=None)
