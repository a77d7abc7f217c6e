"""claims: partial indexes on work_items and an agents.holding counter

Each claim and close used to add an entry to every index on ``state`` (three of them) and
count the agent's items under a row lock. Partial indexes hold only the rows a query looks
for (open items in claim order, claimed items per agent, live items per tenant), so a
closed item leaves them; the counter lets one statement check capacity exactly.

Revision ID: 0004_claims
Revises: 0003_queue
Create Date: 2026-11-23 14:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0004_claims'
down_revision = '0003_queue'
branch_labels = None
depends_on = None

OPEN, CLAIMED, LIVE = "state = 'open'", "state = 'claimed'", "state <> 'closed'"


def _partial(name: str, columns: list, where: str) -> None:
    op.create_index(name, 'work_items', columns, unique=False,
                    postgresql_where=sa.text(where), sqlite_where=sa.text(where))


def upgrade() -> None:
    with op.batch_alter_table('agents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('holding', sa.Integer(), nullable=False, server_default='0'))
    op.execute("UPDATE agents SET holding = (SELECT count(*) FROM work_items "
               "WHERE work_items.claimed_by = agents.name AND work_items.state = 'claimed')")
    op.drop_index('ix_work_items_claim_order', table_name='work_items')
    op.drop_index('ix_work_items_claimed_by', table_name='work_items')
    op.drop_index('ix_work_items_pick', table_name='work_items')
    _partial('ix_work_items_claim_order', [sa.literal_column('priority').desc(), 'due_at', 'id'], OPEN)
    _partial('ix_work_items_held', ['claimed_by'], CLAIMED)
    _partial('ix_work_items_live', ['tenant_id', 'queue', 'state', 'priority', 'due_at'], LIVE)


def downgrade() -> None:
    op.drop_index('ix_work_items_live', table_name='work_items')
    op.drop_index('ix_work_items_held', table_name='work_items')
    op.drop_index('ix_work_items_claim_order', table_name='work_items')
    op.create_index('ix_work_items_pick', 'work_items', ['state', 'tenant_id', 'queue', 'priority', 'due_at'])
    op.create_index('ix_work_items_claimed_by', 'work_items', ['claimed_by', 'state'])
    op.create_index('ix_work_items_claim_order', 'work_items',
                    ['state', sa.literal_column('priority').desc(), 'due_at', 'id'])
    with op.batch_alter_table('agents', schema=None) as batch_op:
        batch_op.drop_column('holding')
