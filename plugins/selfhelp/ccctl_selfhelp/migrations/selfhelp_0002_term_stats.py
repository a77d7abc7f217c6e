"""selfhelp: document frequency of each search term per tenant

Revision ID: selfhelp_0002
Revises: selfhelp_0001
Create Date: 2026-11-23 12:20:00

Filled by the next `ccctl faq sync` of each tenant (until then searches use every word).
"""

import sqlalchemy as sa
from alembic import op

revision = "selfhelp_0002"
down_revision = "selfhelp_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "selfhelp_terms",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("term", sa.String(length=200), nullable=False),
        sa.Column("docs", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_selfhelp_terms_tenant_id_tenants"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("tenant_id", "term", name=op.f("pk_selfhelp_terms")),
    )


def downgrade() -> None:
    op.drop_table("selfhelp_terms")
