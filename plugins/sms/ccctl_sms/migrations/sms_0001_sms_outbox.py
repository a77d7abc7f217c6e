"""sms outbox

Revision ID: sms_0001
Revises: (branch sms, depends on 0002_items)
Create Date: 2026-11-23 11:53:05.570319
"""

import sqlalchemy as sa
from alembic import op

import ccctl.db.models

revision = 'sms_0001'
down_revision = None
branch_labels = ('sms',)
depends_on = '0002_items'


def upgrade() -> None:
    op.create_table('sms_sender_slots',
    sa.Column('sender', sa.String(length=64), nullable=False),
    sa.Column('next_slot', ccctl.db.models.AwareDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('sender', name=op.f('pk_sms_sender_slots'))
    )
    op.create_table('sms_opt_outs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('detail', sa.String(length=200), nullable=False),
    sa.Column('created_at', ccctl.db.models.AwareDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_sms_opt_outs_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sms_opt_outs')),
    sa.UniqueConstraint('tenant_id', 'number', name=op.f('uq_sms_opt_outs_tenant_id_number'))
    )
    op.create_table('sms_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('idempotency_key', sa.String(length=200), nullable=False),
    sa.Column('to_number', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('template', sa.String(length=100), nullable=True),
    sa.Column('locale', sa.String(length=16), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('encoding', sa.String(length=8), nullable=False),
    sa.Column('segments', sa.Integer(), nullable=False),
    sa.Column('send_at', ccctl.db.models.AwareDateTime(timezone=True), nullable=False),
    sa.Column('next_attempt_at', ccctl.db.models.AwareDateTime(timezone=True), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('attempt_id', sa.String(length=32), nullable=True),
    sa.Column('claimed_by', sa.String(length=200), nullable=True),
    sa.Column('claimed_at', ccctl.db.models.AwareDateTime(timezone=True), nullable=True),
    sa.Column('reconcile_since', ccctl.db.models.AwareDateTime(timezone=True), nullable=True),
    sa.Column('sender', sa.String(length=64), nullable=True),
    sa.Column('provider_sid', sa.String(length=64), nullable=True),
    sa.Column('delivery_status', sa.String(length=16), nullable=True),
    sa.Column('error_code', sa.Integer(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('sent_at', ccctl.db.models.AwareDateTime(timezone=True), nullable=True),
    sa.Column('status_at', ccctl.db.models.AwareDateTime(timezone=True), nullable=True),
    sa.Column('created_at', ccctl.db.models.AwareDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_sms_outbox_customer_id_customers'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_sms_outbox_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sms_outbox')),
    sa.UniqueConstraint('provider_sid', name=op.f('uq_sms_outbox_provider_sid')),
    sa.UniqueConstraint('tenant_id', 'idempotency_key', name=op.f('uq_sms_outbox_tenant_id_idempotency_key'))
    )
    with op.batch_alter_table('sms_outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sms_outbox_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index('ix_sms_outbox_due', ['state', 'next_attempt_at'], unique=False)
        batch_op.create_index('ix_sms_outbox_tenant_to', ['tenant_id', 'to_number'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('sms_outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_sms_outbox_tenant_to')
        batch_op.drop_index('ix_sms_outbox_due')
        batch_op.drop_index(batch_op.f('ix_sms_outbox_customer_id'))

    op.drop_table('sms_outbox')
    op.drop_table('sms_opt_outs')
    op.drop_table('sms_sender_slots')
