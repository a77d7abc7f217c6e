"""fulfil requests

Revision ID: fulfil_0001
Revises: (branch fulfil, depends on 0002_items)
Create Date: 2026-12-06 13:19:00.492059
"""

import sqlalchemy as sa
from alembic import op

import ccctl.db.models

revision = 'fulfil_0001'
down_revision = None
branch_labels = ('fulfil',)
depends_on = '0002_items'


def upgrade() -> None:
    op.create_table('fulfil_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('document', sa.String(length=40), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('method', sa.String(length=8), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('recipient', sa.JSON(), nullable=False),
    sa.Column('outbox_id', sa.Integer(), nullable=True),
    sa.Column('follow_up_item_id', sa.Integer(), nullable=True),
    sa.Column('exported_at', ccctl.db.models.AwareDateTime(timezone=True), nullable=True),
    sa.Column('export_date', sa.Date(), nullable=True),
    sa.Column('created_at', ccctl.db.models.AwareDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_fulfil_requests_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_fulfil_requests_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fulfil_requests')),
    sa.UniqueConstraint('tenant_id', 'item_id', 'document', name=op.f('uq_fulfil_requests_tenant_id_item_id_document'))
    )
    with op.batch_alter_table('fulfil_requests', schema=None) as batch_op:
        batch_op.create_index('ix_fulfil_requests_batch', ['tenant_id', 'method', 'state'], unique=False)
        batch_op.create_index(batch_op.f('ix_fulfil_requests_customer_id'), ['customer_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('fulfil_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fulfil_requests_customer_id'))
        batch_op.drop_index('ix_fulfil_requests_batch')
    op.drop_table('fulfil_requests')
