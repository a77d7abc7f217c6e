"""voice calls

Revision ID: voice_0001
Revises:
Create Date: 2026-12-06 13:05:47.160847
"""

import sqlalchemy as sa
from alembic import op

import ccctl.db.models

revision = 'voice_0001'
down_revision = None
branch_labels = ('voice',)
depends_on = '0002_items'


def upgrade() -> None:
    op.create_table('voice_calls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('call_sid', sa.String(length=64), nullable=False),
    sa.Column('from_number', sa.String(length=32), nullable=False),
    sa.Column('to_number', sa.String(length=32), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('case_item_id', sa.Integer(), nullable=True),
    sa.Column('queue', sa.String(length=64), nullable=True),
    sa.Column('queue_sid', sa.String(length=64), nullable=True),
    sa.Column('agent', sa.String(length=100), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('outcome', sa.String(length=32), nullable=True),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('partner_code', sa.String(length=32), nullable=True),
    sa.Column('started_at', ccctl.db.models.AwareDateTime(timezone=True), nullable=False),
    sa.Column('queued_at', ccctl.db.models.AwareDateTime(timezone=True), nullable=True),
    sa.Column('answered_at', ccctl.db.models.AwareDateTime(timezone=True), nullable=True),
    sa.Column('ended_at', ccctl.db.models.AwareDateTime(timezone=True), nullable=True),
    sa.Column('wait_seconds', sa.Integer(), nullable=True),
    sa.Column('talk_seconds', sa.Integer(), nullable=True),
    sa.Column('duration_seconds', sa.Integer(), nullable=True),
    sa.Column('recording_sid', sa.String(length=64), nullable=True),
    sa.Column('recording_url', sa.String(length=500), nullable=True),
    sa.Column('recording_seconds', sa.Integer(), nullable=True),
    sa.Column('attributes', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_voice_calls_customer_id_customers'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_voice_calls_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_voice_calls')),
    sa.UniqueConstraint('tenant_id', 'call_sid', name=op.f('uq_voice_calls_tenant_id_call_sid'))
    )
    with op.batch_alter_table('voice_calls', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_voice_calls_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index('ix_voice_calls_item', ['tenant_id', 'item_id'], unique=False)
        batch_op.create_index('ix_voice_calls_tenant_started', ['tenant_id', 'started_at'], unique=False)


def downgrade() -> None:
    op.drop_table('voice_calls')
