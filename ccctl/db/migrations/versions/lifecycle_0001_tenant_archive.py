"""lifecycle: tenants can be archived at the end of a contract

Revision ID: lifecycle_0001
Revises:
Create Date: 2026-12-06 13:10:00
"""

import sqlalchemy as sa
from alembic import op

import ccctl.db.models

revision = "lifecycle_0001"
down_revision = None
branch_labels = ("lifecycle",)
depends_on = "0001_core"


def upgrade() -> None:
    with op.batch_alter_table("tenants") as batch:
        batch.add_column(sa.Column("archived_at", ccctl.db.models.AwareDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tenants") as batch:
        batch.drop_column("archived_at")
