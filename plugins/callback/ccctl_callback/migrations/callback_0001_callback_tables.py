"""callback tables

Revision ID: callback_0001
Revises: (branch 'callback', depends on 0002_items)
Create Date: 2026-11-23 11:50:04.521535
"""

import sqlalchemy as sa
from alembic import op

import ccctl.db.models

revision = 'callback_0001'
down_revision = None
branch_labels = ('callback',)
depends_on = '0002_items'


def upgrade() -> None:
    op.create_table('callback_slots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', ccctl.db.models.AwareDateTime(timezone=True), nullable=False),
    sa.Column('booked', sa.Integer(), nullable=False),
    sa.CheckConstraint('booked >= 0', name=op.f('ck_callback_slots_booked_not_negative')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_callback_slots_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_callback_slots')),
    sa.UniqueConstraint('tenant_id', 'starts_at', name=op.f('uq_callback_slots_tenant_id_starts_at'))
    )
    op.create_table('callback_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=100), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('context', sa.JSON(), nullable=False),
    sa.Column('referral_code', sa.String(length=100), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('slot_start', ccctl.db.models.AwareDateTime(timezone=True), nullable=True),
    sa.Column('holds_seat', sa.Boolean(), nullable=False),
    sa.Column('consent', sa.Boolean(), nullable=False),
    sa.Column('consent_at', ccctl.db.models.AwareDateTime(timezone=True), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', ccctl.db.models.AwareDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', ccctl.db.models.AwareDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_callback_requests_customer_id_customers'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_callback_requests_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_callback_requests')),
    sa.UniqueConstraint('tenant_id', 'ref', name=op.f('uq_callback_requests_tenant_id_ref'))
    )
    with op.batch_alter_table('callback_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_callback_requests_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_callback_requests_item_id'), ['item_id'], unique=False)

    op.create_table('callback_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('agent', sa.String(length=100), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('call_sid', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=32), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('started_at', ccctl.db.models.AwareDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', ccctl.db.models.AwareDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['request_id'], ['callback_requests.id'], name=op.f('fk_callback_attempts_request_id_callback_requests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_callback_attempts_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_callback_attempts')),
    sa.UniqueConstraint('request_id', 'number', name=op.f('uq_callback_attempts_request_id_number'))
    )
    with op.batch_alter_table('callback_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_callback_attempts_call_sid', ['call_sid'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('callback_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_callback_attempts_call_sid')

    op.drop_table('callback_attempts')
    with op.batch_alter_table('callback_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_callback_requests_item_id'))
        batch_op.drop_index(batch_op.f('ix_callback_requests_customer_id'))

    op.drop_table('callback_requests')
    op.drop_table('callback_slots')
