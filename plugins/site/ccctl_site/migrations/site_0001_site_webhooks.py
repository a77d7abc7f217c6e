"""site webhooks

Revision ID: site_0001
Revises: (branch site, depends on 0002_items)
Create Date: 2026-12-06 13:02:32.138970
"""

import sqlalchemy as sa
from alembic import op

import ccctl.db.models

revision = 'site_0001'
down_revision = None
branch_labels = ('site',)
depends_on = '0002_items'


def upgrade() -> None:
    op.create_table('site_webhook_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('webhook', sa.String(length=40), nullable=False),
    sa.Column('event_type', sa.String(length=40), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', ccctl.db.models.AwareDateTime(timezone=True), nullable=False),
    sa.Column('claimed_at', ccctl.db.models.AwareDateTime(timezone=True), nullable=True),
    sa.Column('last_status', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('delivered_at', ccctl.db.models.AwareDateTime(timezone=True), nullable=True),
    sa.Column('created_at', ccctl.db.models.AwareDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_site_webhook_outbox_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_site_webhook_outbox_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_site_webhook_outbox')),
    sa.UniqueConstraint('event_id', name=op.f('uq_site_webhook_outbox_event_id'))
    )
    with op.batch_alter_table('site_webhook_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_site_webhook_outbox_due', ['state', 'next_attempt_at'], unique=False)
        batch_op.create_index('ix_site_webhook_outbox_tenant', ['tenant_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_site_webhook_outbox_customer_id'), ['customer_id'], unique=False)

    op.create_table('site_webhook_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('outbox_id', sa.Integer(), nullable=False),
    sa.Column('attempted_at', ccctl.db.models.AwareDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.Integer(), nullable=True),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['outbox_id'], ['site_webhook_outbox.id'], name=op.f('fk_site_webhook_attempts_outbox_id_site_webhook_outbox'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_site_webhook_attempts_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_site_webhook_attempts'))
    )
    with op.batch_alter_table('site_webhook_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_site_webhook_attempts_outbox_id'), ['outbox_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('site_webhook_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_site_webhook_attempts_outbox_id'))
    op.drop_table('site_webhook_attempts')
    with op.batch_alter_table('site_webhook_outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_site_webhook_outbox_customer_id'))
        batch_op.drop_index('ix_site_webhook_outbox_tenant')
        batch_op.drop_index('ix_site_webhook_outbox_due')
    op.drop_table('site_webhook_outbox')
