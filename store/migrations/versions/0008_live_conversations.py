"""live conversations in the store: their state (versioned) and their chat log, and the
client message id of each decision, so that any process can take any turn and a re-sent
message is answered from what was recorded, never run twice

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 22:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "conversation_states",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_conversation_states_updated_at", "conversation_states", ["updated_at"])
    op.create_table(
        "chat_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("conversation_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=80), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_chat_events_conversation_seq", "chat_events",
                    ["conversation_id", "seq"], unique=True)
    op.create_index("ix_chat_events_conversation_client", "chat_events",
                    ["conversation_id", "client_id"])
    with op.batch_alter_table("decisions") as batch:
        batch.add_column(sa.Column("message_id", sa.String(length=80), nullable=True))
        batch.add_column(sa.Column("result", sa.JSON(), nullable=True))
        batch.create_index("ix_decisions_conversation_message", ["conversation_id",
                                                                  "message_id"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("decisions") as batch:
        batch.drop_index("ix_decisions_conversation_message")
        batch.drop_column("result")
        batch.drop_column("message_id")
    op.drop_table("chat_events")
    op.drop_table("conversation_states")
