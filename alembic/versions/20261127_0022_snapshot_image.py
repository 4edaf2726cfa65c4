"""snapshot image

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-27 00:10:00

The eligibility snapshot saved as arrays (api/eligibility/image.py), so a worker starts from it and reloads only
the people changed since, instead of reading everyone.
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes

from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "snapshot_image",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("part", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("name", "part", name=op.f("pk_snapshot_image")),
    )


def downgrade() -> None:
    op.drop_table("snapshot_image")
