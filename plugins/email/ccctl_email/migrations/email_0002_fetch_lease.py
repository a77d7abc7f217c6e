"""email: a per-mailbox fetch lease (two `email fetch` runs never read one mailbox at once)

Revision ID: email_0002
Revises: email_0001
Create Date: 2026-12-06 16:10:00
"""

import sqlalchemy as sa
from alembic import op

import ccctl.db.models

revision = "email_0002"
down_revision = "email_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("email_imap_state") as batch:
        batch.add_column(sa.Column("lease_holder", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("lease_until", ccctl.db.models.AwareDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("email_imap_state") as batch:
        batch.drop_column("lease_until")
        batch.drop_column("lease_holder")
