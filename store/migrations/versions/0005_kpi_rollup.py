"""hourly KPI roll-up and the conversations' update stamp

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 08:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEY = ("hour", "municipality", "channel", "topic")


def _key() -> list[sa.Column]:
    return [sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
            sa.Column("municipality", sa.String(length=4), nullable=False),
            sa.Column("channel", sa.String(length=16), nullable=False),
            sa.Column("topic", sa.String(length=64), nullable=False)]


def upgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_conversations_updated_at", ["updated_at"])
    # Existing rows: stamp them so the first refresh rolls every hour up.
    op.execute("UPDATE conversations SET updated_at = COALESCE(ended_at, started_at)")
    counts = ("contacts", "resolved_bot", "resolved_agent", "transfers", "tickets",
              "redirects", "handed_off", "answered", "ended")
    op.create_table(
        "kpi_hours", *_key(),
        *(sa.Column(c, sa.Integer(), nullable=False) for c in counts),
        sa.Column("handling_s", sa.Float(), nullable=False),
        sa.Column("scores", sa.Integer(), nullable=False),
        sa.Column("score_sum", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(*KEY),
    )
    op.create_table(
        "kpi_values", *_key(),
        sa.Column("measure", sa.String(length=8), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(*KEY, "measure", "value"),
    )
    op.create_table(
        "kpi_state",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("kpi_state")
    op.drop_table("kpi_values")
    op.drop_table("kpi_hours")
    with op.batch_alter_table("conversations") as batch:
        batch.drop_index("ix_conversations_updated_at")
        batch.drop_column("updated_at")
