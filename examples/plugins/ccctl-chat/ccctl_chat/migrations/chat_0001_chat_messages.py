"""chat messages

Revision ID: chat_0001
Create Date: 2026-12-06

Made with `ccctl db revision --plugin chat -m "chat messages" --rev-id chat_0001`, then read:
the plugin's own branch ("chat"), after the core revision that created work_items.
"""

import sqlalchemy as sa
from alembic import op

import ccctl.db.models

revision = 'chat_0001'
down_revision = None
branch_labels = ('chat',)
depends_on = '0002_items'


def upgrade() -> None:
    op.create_table('chat_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('visitor', sa.String(length=320), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('received_at', ccctl.db.models.AwareDateTime(timezone=True), nullable=False),
    sa.Column('closed', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_chat_messages_customer_id_customers'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['item_id'], ['work_items.id'], name=op.f('fk_chat_messages_item_id_work_items'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_chat_messages_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chat_messages'))
    )
    with op.batch_alter_table('chat_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_chat_messages_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index('ix_chat_messages_tenant_visitor', ['tenant_id', 'visitor'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('chat_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_chat_messages_tenant_visitor')
        batch_op.drop_index(batch_op.f('ix_chat_messages_customer_id'))

    op.drop_table('chat_messages')
