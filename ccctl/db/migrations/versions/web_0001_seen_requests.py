"""web: digests of verified webhook requests (replay refusal)

Revision ID: web_0001
Revises:
Create Date: 2026-11-23 12:05:00
"""

import sqlalchemy as sa
from alembic import op

import ccctl.db.models

revision = "web_0001"
down_revision = None
branch_labels = ("web",)
depends_on = "0001_core"


def upgrade() -> None:
    op.create_table(
        "web_seen_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("seen_at", ccctl.db.models.AwareDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"],
                                name=op.f("fk_web_seen_requests_tenant_id_tenants"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_seen_requests")),
        sa.UniqueConstraint("digest", name=op.f("uq_web_seen_requests_digest")),
    )
    op.create_index(op.f("ix_web_seen_requests_seen_at"), "web_seen_requests", ["seen_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_web_seen_requests_seen_at"), table_name="web_seen_requests")
    op.drop_table("web_seen_requests")
