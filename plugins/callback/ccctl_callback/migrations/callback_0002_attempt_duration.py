"""callback: talk time of each attempt (billed per started minute)

Revision ID: callback_0002
Revises: callback_0001
Create Date: 2026-11-23 12:55:00

Attempts made before this revision have no duration (NULL): they bill nothing.
"""

import sqlalchemy as sa
from alembic import op

revision = "callback_0002"
down_revision = "callback_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("callback_attempts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("duration_seconds", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("callback_attempts", schema=None) as batch_op:
        batch_op.drop_column("duration_seconds")
