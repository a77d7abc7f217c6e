"""agent state: agents.phone/state/state_reason, agent_state_changes, work_items.reserved_for/until

An agent's phone and state (available, on-call, wrap-up, paused) with a history of changes,
and a reservation on an item (sticky routing of a call to its case owner for a while).

Revision ID: 0006_agent_state
Revises: 0005_identity_index
Create Date: 2026-12-06 13:10:00
"""

import sqlalchemy as sa
from alembic import op

import ccctl.db.models

revision = "0006_agent_state"
down_revision = "0005_identity_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("state", sa.String(length=16), nullable=False, server_default="available"))
        batch_op.add_column(sa.Column("state_reason", sa.String(length=200), nullable=False, server_default=""))
    op.execute("UPDATE agents SET state = 'paused' WHERE NOT available")
    with op.batch_alter_table("work_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reserved_for", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("reserved_until", ccctl.db.models.AwareDateTime(timezone=True), nullable=True))
    op.create_table(
        "agent_state_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("at", ccctl.db.models.AwareDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"], name=op.f("fk_agent_state_changes_agent_id_agents"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_state_changes")),
    )
    op.create_index("ix_agent_state_changes_agent_at", "agent_state_changes", ["agent_id", "at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_agent_state_changes_agent_at", table_name="agent_state_changes")
    op.drop_table("agent_state_changes")
    with op.batch_alter_table("work_items", schema=None) as batch_op:
        batch_op.drop_column("reserved_until")
        batch_op.drop_column("reserved_for")
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.drop_column("state_reason")
        batch_op.drop_column("state")
        batch_op.drop_column("phone")
