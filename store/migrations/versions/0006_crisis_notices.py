"""crisis notices (beredskab), the conversations they answered; handoffs by time

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "crisis_notices",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("municipality", sa.String(length=4), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_crisis_notices_municipality", "crisis_notices", ["municipality"])
    op.create_index("ix_crisis_notices_expires_at", "crisis_notices", ["expires_at"])
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("notice_id", sa.String(length=40), nullable=True))
        batch.create_index("ix_conversations_notice_id", ["notice_id"])
    # The staffing forecast reads the recent weeks' handoffs.
    op.create_index("ix_handoffs_created_at", "handoffs", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_handoffs_created_at", table_name="handoffs")
    with op.batch_alter_table("conversations") as batch:
        batch.drop_index("ix_conversations_notice_id")
        batch.drop_column("notice_id")
    op.drop_table("crisis_notices")
