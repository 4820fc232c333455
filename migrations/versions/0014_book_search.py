"""Search tokens carry their client's sort key, so a prefix's first page in name order comes from one index

Revision ID: 0014_book_search
Revises: 0013_today_rules
Create Date: 2026-12-02 08:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0014_book_search'
down_revision = '0013_today_rules'
branch_labels = None
depends_on = None

BATCH = 5000


def _back_fill(connection) -> None:
    """Each client's sort_name (0011_book) onto its tokens, a range of client ids at a time."""
    highest = connection.execute(sa.text("SELECT max(id) FROM client")).scalar() or 0
    for start in range(0, highest + 1, BATCH):
        connection.execute(sa.text(
            "UPDATE client_search_token SET sort_key = "
            "(SELECT sort_name FROM client WHERE client.id = client_search_token.client_id) "
            "WHERE client_id >= :start AND client_id < :stop"), {"start": start, "stop": start + BATCH})


def upgrade():
    with op.batch_alter_table('client_search_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sort_key', sa.String(length=255), nullable=False, server_default=''))
    _back_fill(op.get_bind())
    with op.batch_alter_table('client_search_token', schema=None) as batch_op:
        batch_op.create_index('ix_client_search_token_sorted', ['token', 'sort_key', 'client_id'], unique=False)


def downgrade():
    with op.batch_alter_table('client_search_token', schema=None) as batch_op:
        batch_op.drop_index('ix_client_search_token_sorted')
        batch_op.drop_column('sort_key')
