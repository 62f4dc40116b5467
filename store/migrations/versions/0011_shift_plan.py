"""the shift plan and its marketplace: one row per seat of a week's shifts, owned by a
municipality or open on the marketplace, optionally a jumpseat with the console's last
advice; and the stretches jumpseat agents spent off the DDH line (the saved hours)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "shifts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seat", sa.Integer(), nullable=False),
        sa.Column("owner", sa.String(length=4), nullable=True),
        sa.Column("base_owner", sa.String(length=4), nullable=True),
        sa.Column("jumpseat", sa.Boolean(), nullable=False),
        sa.Column("agent", sa.String(length=120), nullable=True),
        sa.Column("advice", sa.String(length=8), nullable=True),
        sa.Column("advice_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_shifts_week", "shifts", ["week"])
    op.create_index("ix_shifts_owner", "shifts", ["owner"])
    op.create_index("ix_shifts_agent", "shifts", ["agent"])
    op.create_index("ix_shifts_slot", "shifts", ["starts_at", "ends_at", "seat"], unique=True)
    op.create_table(
        "jumpseat_legs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("shift_id", sa.Integer(), nullable=False),
        sa.Column("agent", sa.String(length=120), nullable=False),
        sa.Column("off_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("on_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["shift_id"], ["shifts.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_jumpseat_legs_shift_id", "jumpseat_legs", ["shift_id"])
    op.create_index("ix_jumpseat_legs_off_at", "jumpseat_legs", ["off_at"])


def downgrade() -> None:
    op.drop_index("ix_jumpseat_legs_off_at", table_name="jumpseat_legs")
    op.drop_index("ix_jumpseat_legs_shift_id", table_name="jumpseat_legs")
    op.drop_table("jumpseat_legs")
    op.drop_index("ix_shifts_slot", table_name="shifts")
    op.drop_index("ix_shifts_agent", table_name="shifts")
    op.drop_index("ix_shifts_owner", table_name="shifts")
    op.drop_index("ix_shifts_week", table_name="shifts")
    op.drop_table("shifts")
