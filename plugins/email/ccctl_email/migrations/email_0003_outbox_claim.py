"""email: outbox claims (two runs sending at once never send one mail twice)

Revision ID: email_0003
Revises: email_0002
Create Date: 2026-12-06 17:30:00
"""

import sqlalchemy as sa
from alembic import op

import ccctl.db.models

revision = "email_0003"
down_revision = "email_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("email_outbound") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("claimed_at", ccctl.db.models.AwareDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("email_outbound") as batch:
        batch.drop_column("claimed_at")
        batch.drop_column("claimed_by")
