"""voice web codes (short codes a site shows, keyed at the phone menu) and screen-pop stream keys

Revision ID: voice_0003
Revises: voice_0002
Create Date: 2026-12-06 13:35:00
"""

import sqlalchemy as sa
from alembic import op

import ccctl.db.models

revision = "voice_0003"
down_revision = "voice_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "voice_web_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("ref", sa.String(length=100), nullable=False),
        sa.Column("page", sa.String(length=500), nullable=False),
        sa.Column("expires_at", ccctl.db.models.AwareDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_voice_web_codes_tenant_id_tenants"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voice_web_codes")),
    )
    op.create_index("ix_voice_web_codes_tenant_code", "voice_web_codes", ["tenant_id", "code"], unique=False)
    op.create_table(
        "voice_pop_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("agent", sa.String(length=100), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("expires_at", ccctl.db.models.AwareDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_voice_pop_tokens_tenant_id_tenants"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voice_pop_tokens")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_voice_pop_tokens_token_sha256")),
    )


def downgrade() -> None:
    op.drop_table("voice_pop_tokens")
    op.drop_table("voice_web_codes")
