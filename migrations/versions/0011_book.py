"""Clients sort by a stored folded name (Étienne among the Es, not after Z)

Revision ID: 0011_book
Revises: 0010_signin
Create Date: 2026-12-02 08:00:00

"""
from alembic import op
import sqlalchemy as sa

from clientbook.models.clients import client_sort_name


revision = '0011_book'
down_revision = '0010_signin'
branch_labels = None
depends_on = None

BATCH = 5000

client = sa.table('client', sa.column('id', sa.Integer), sa.column('first_name', sa.String),
                  sa.column('last_name', sa.String), sa.column('email', sa.String), sa.column('phone', sa.String),
                  sa.column('sort_name', sa.String))


def _back_fill(connection) -> None:
    """Computed in Python with the app's fold(), a batch of ids at a time (no long scan held in memory)."""
    last_id = 0
    while True:
        rows = connection.execute(
            sa.select(client.c.id, client.c.first_name, client.c.last_name, client.c.email, client.c.phone)
            .where(client.c.id > last_id).order_by(client.c.id).limit(BATCH)
        ).all()
        if not rows:
            return
        connection.execute(
            client.update().where(client.c.id == sa.bindparam('client_id')).values(sort_name=sa.bindparam('key')),
            [{'client_id': row.id, 'key': client_sort_name(row.first_name, row.last_name, row.email, row.phone)}
             for row in rows])
        last_id = rows[-1].id


def upgrade():
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sort_name', sa.String(length=255), nullable=False, server_default=''))
    _back_fill(op.get_bind())
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.drop_index('ix_client_assignee_name')
        batch_op.create_index('ix_client_assignee_sort_name', ['assigned_to_id', 'sort_name', 'id'], unique=False)
        batch_op.create_index('ix_client_sort_name', ['sort_name', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.drop_index('ix_client_sort_name')
        batch_op.drop_index('ix_client_assignee_sort_name')
        batch_op.create_index('ix_client_assignee_name', ['assigned_to_id', 'last_name', 'first_name'], unique=False)
        batch_op.drop_column('sort_name')
