"""sms: when a message was first tried (retries back off until max_age after it); delivery_status widened

Revision ID: sms_0002
Revises: sms_0001
Create Date: 2026-12-06 13:30:00

Rows tried before this revision have none: their age is counted from send_at.
"""

import sqlalchemy as sa
from alembic import op

import ccctl.db.models

revision = "sms_0002"
down_revision = "sms_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sms_outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("first_attempt_at", ccctl.db.models.AwareDateTime(timezone=True), nullable=True))
        # "partially_delivered" (19 characters) did not fit the 16 of the first revision.
        batch_op.alter_column("delivery_status", type_=sa.String(length=32), existing_type=sa.String(length=16),
                              existing_nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("sms_outbox", schema=None) as batch_op:
        batch_op.alter_column("delivery_status", type_=sa.String(length=16), existing_type=sa.String(length=32),
                              existing_nullable=True)
        batch_op.drop_column("first_attempt_at")
