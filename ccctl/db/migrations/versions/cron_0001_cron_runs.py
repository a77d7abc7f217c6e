"""cron: the last run of each cron job per tenant (ccctl status)

Revision ID: cron_0001
Revises:
Create Date: 2026-12-06 13:20:00
"""

import sqlalchemy as sa
from alembic import op

import ccctl.db.models

revision = "cron_0001"
down_revision = None
branch_labels = ("cron",)
depends_on = "0001_core"


def upgrade() -> None:
    op.create_table(
        "cron_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job", sa.String(length=64), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("runs", sa.Integer(), nullable=False),
        sa.Column("last_run_at", ccctl.db.models.AwareDateTime(timezone=True), nullable=True),
        sa.Column("last_ok_at", ccctl.db.models.AwareDateTime(timezone=True), nullable=True),
        sa.Column("last_problem_at", ccctl.db.models.AwareDateTime(timezone=True), nullable=True),
        sa.Column("last_problem", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"],
                                name=op.f("fk_cron_runs_tenant_id_tenants"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cron_runs")),
        sa.UniqueConstraint("job", "tenant_id", name=op.f("uq_cron_runs_job_tenant_id")),
    )


def downgrade() -> None:
    op.drop_table("cron_runs")
