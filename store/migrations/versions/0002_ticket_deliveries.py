"""ticket delivery outbox

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 06:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ticket_deliveries",
        sa.Column("id", sa.String(length=160), nullable=False),
        sa.Column("handoff_id", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("destination", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["handoff_id"], ["handoffs.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_ticket_deliveries_handoff_id", "ticket_deliveries", ["handoff_id"])
    op.create_index("ix_ticket_deliveries_status", "ticket_deliveries", ["status"])
    op.create_index("ix_ticket_deliveries_next_attempt_at", "ticket_deliveries",
                    ["next_attempt_at"])


def downgrade() -> None:
    op.drop_table("ticket_deliveries")
