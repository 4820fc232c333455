"""The SQL function fold(text) on PostgreSQL; possible duplicates no longer use lower(name)

Revision ID: 0007_foundation
Revises: 0006_floor
Create Date: 2026-12-02 05:10:00

SQLite gets fold() from the app on every connection (clientbook.database); PostgreSQL keeps
it in the database. Possible duplicates now match folded names through the search tokens,
so the ASCII-only lower(name) index goes.
"""
from alembic import op
import sqlalchemy as sa

from clientbook.text import POSTGRES_DROP_FOLD_FUNCTION, postgres_fold_function

revision = '0007_foundation'
down_revision = '0006_floor'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(postgres_fold_function())
    op.drop_index('ix_client_lower_name', table_name='client')


def downgrade():
    op.create_index('ix_client_lower_name', 'client', [sa.text('lower(last_name)'), sa.text('lower(first_name)')])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_DROP_FOLD_FUNCTION)
