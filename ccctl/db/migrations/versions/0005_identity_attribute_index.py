"""identity: an index of declared customer attributes, and undoable merges

``customer_attributes`` holds one row per (customer, declared attribute) so that
``customer find --attr policy=AP-100146`` and import matching by external key are
index lookups, not JSON scans. ``customer_merges.undone_at`` marks a merge undone by
``customer unmerge``.

Revision ID: 0005_identity_index
Revises: 0004_claims
Create Date: 2026-12-06 13:15:00
"""

import sqlalchemy as sa
from alembic import op

import ccctl.db.models

revision = '0005_identity_index'
down_revision = '0004_claims'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('customer_attributes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_customer_attributes_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_customer_attributes_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_attributes'))
    )
    op.create_index('ix_customer_attributes_lookup', 'customer_attributes', ['tenant_id', 'key', 'value'], unique=False)
    op.create_index(op.f('ix_customer_attributes_customer_id'), 'customer_attributes', ['customer_id'], unique=False)
    with op.batch_alter_table('customer_merges', schema=None) as batch_op:
        batch_op.add_column(sa.Column('undone_at', ccctl.db.models.AwareDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('customer_merges', schema=None) as batch_op:
        batch_op.drop_column('undone_at')
    op.drop_index(op.f('ix_customer_attributes_customer_id'), table_name='customer_attributes')
    op.drop_index('ix_customer_attributes_lookup', table_name='customer_attributes')
    op.drop_table('customer_attributes')
