"""guides edited by the municipalities: each guide, its versions (draft, published,
retired), owner and review-by date; `live_serial` tells every gateway process that the
published set changed

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "municipal_guides",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("municipality", sa.String(length=4), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("published_version", sa.Integer(), nullable=True),
        sa.Column("owner", sa.String(length=120), nullable=False),
        sa.Column("review_by", sa.Date(), nullable=True),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("live_serial", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_municipal_guides_municipality", "municipal_guides", ["municipality"])
    op.create_index("ix_municipal_guides_live_serial", "municipal_guides", ["live_serial"])
    op.create_table(
        "municipal_guide_versions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("guide_id", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("review_by", sa.Date(), nullable=True),
        sa.Column("author", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reviewer", sa.String(length=120), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["guide_id"], ["municipal_guides.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_municipal_guide_versions_guide_version", "municipal_guide_versions",
                    ["guide_id", "version"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_municipal_guide_versions_guide_version",
                  table_name="municipal_guide_versions")
    op.drop_table("municipal_guide_versions")
    op.drop_index("ix_municipal_guides_live_serial", table_name="municipal_guides")
    op.drop_index("ix_municipal_guides_municipality", table_name="municipal_guides")
    op.drop_table("municipal_guides")
