"""queue: agents, the tenants they serve, skill sets; claim columns and indexes on work_items

Revision ID: 0003_queue
Revises: 0002_items
Create Date: 2026-11-23 12:05:00
"""

import sqlalchemy as sa
from alembic import op

import ccctl.db.models

revision = '0003_queue'
down_revision = '0002_items'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('skill_sets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=1000), nullable=False),
    sa.Column('skills', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_skill_sets')),
    sa.UniqueConstraint('key', name=op.f('uq_skill_sets_key'))
    )
    op.create_table('agents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('skills', sa.JSON(), nullable=False),
    sa.Column('available', sa.Boolean(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('created_at', ccctl.db.models.AwareDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', ccctl.db.models.AwareDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agents')),
    sa.UniqueConstraint('name', name=op.f('uq_agents_name'))
    )
    op.create_table('agent_tenants',
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_agent_tenants_agent_id_agents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_agent_tenants_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('agent_id', 'tenant_id', name=op.f('pk_agent_tenants'))
    )
    with op.batch_alter_table('work_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('skill_set_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('routed_by', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('escalation_level', sa.Integer(), nullable=False, server_default='0'))
        batch_op.create_foreign_key(batch_op.f('fk_work_items_skill_set_id_skill_sets'), 'skill_sets', ['skill_set_id'], ['id'])
        batch_op.create_index('ix_work_items_claimed_by', ['claimed_by', 'state'], unique=False)
    # Mixed directions (priority DESC, due_at ASC): one index serves the claim's ORDER BY.
    op.create_index('ix_work_items_claim_order', 'work_items',
                    ['state', sa.literal_column('priority').desc(), 'due_at', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_work_items_claim_order', table_name='work_items')
    with op.batch_alter_table('work_items', schema=None) as batch_op:
        batch_op.drop_index('ix_work_items_claimed_by')
        batch_op.drop_constraint(batch_op.f('fk_work_items_skill_set_id_skill_sets'), type_='foreignkey')
        batch_op.drop_column('escalation_level')
        batch_op.drop_column('routed_by')
        batch_op.drop_column('skill_set_id')
    op.drop_table('agent_tenants')
    op.drop_table('agents')
    op.drop_table('skill_sets')
