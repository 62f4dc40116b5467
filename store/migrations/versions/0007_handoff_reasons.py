"""handoff reasons: the typed reason of every handoff, transfer and ticket, and their
hourly roll-up for the dashboard

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# ddh.vocabulary.HandoffReason, spelled out: a migration stays as it was written.
REASONS = ("wants_person", "not_understood", "no_guide", "not_helped", "own_case",
           "complaint", "crisis")


def upgrade() -> None:
    with op.batch_alter_table("handoffs") as batch:
        batch.add_column(sa.Column("reason_kind", sa.String(length=24), nullable=True))
    # Existing rows: the frontdesk wrote its reasons as "<need>: <policy reason>", so
    # the kind is the text before the colon; anything else (agents' tickets) stays NULL.
    for reason in REASONS:
        op.execute(sa.text(
            "UPDATE handoffs SET reason_kind = :reason "
            "WHERE substr(reason, 1, :n) = :prefix").bindparams(
            reason=reason, n=len(reason) + 1, prefix=f"{reason}:"))
    op.create_table(
        "kpi_reasons",
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("municipality", sa.String(length=4), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=24), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("hour", "municipality", "channel", "topic", "kind",
                                "reason"),
    )
    # The next read rolls every hour up again, the reasons included.
    op.execute("DELETE FROM kpi_state WHERE name = 'rollup'")


def downgrade() -> None:
    op.drop_table("kpi_reasons")
    with op.batch_alter_table("handoffs") as batch:
        batch.drop_column("reason_kind")
