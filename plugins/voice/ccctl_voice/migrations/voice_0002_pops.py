"""voice pops (calls put through to an agent, for the screen pop) and recordings to purge at Twilio

Revision ID: voice_0002
Revises: voice_0001
Create Date: 2026-12-06 13:22:00
"""

import sqlalchemy as sa
from alembic import op

import ccctl.db.models

revision = "voice_0002"
down_revision = "voice_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "voice_pops",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("agent", sa.String(length=100), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("at", ccctl.db.models.AwareDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["call_id"], ["voice_calls.id"], name=op.f("fk_voice_pops_call_id_voice_calls"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_voice_pops_tenant_id_tenants"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voice_pops")),
    )
    op.create_index("ix_voice_pops_agent_id", "voice_pops", ["agent", "id"], unique=False)
    op.create_index(op.f("ix_voice_pops_call_id"), "voice_pops", ["call_id"], unique=False)
    op.create_table(
        "voice_recording_purges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("recording_sid", sa.String(length=64), nullable=False),
        sa.Column("requested_at", ccctl.db.models.AwareDateTime(timezone=True), nullable=False),
        sa.Column("done_at", ccctl.db.models.AwareDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"],
                                name=op.f("fk_voice_recording_purges_tenant_id_tenants"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voice_recording_purges")),
        sa.UniqueConstraint("tenant_id", "recording_sid", name=op.f("uq_voice_recording_purges_tenant_id_recording_sid")),
    )


def downgrade() -> None:
    op.drop_table("voice_recording_purges")
    op.drop_table("voice_pops")
