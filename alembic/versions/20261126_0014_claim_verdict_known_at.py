"""claim verdict known at

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-26 15:00:00

A claim keeps when its verdict (state and reason) was reached: `checked_at`, set on submission and whenever
re-evaluation changes the verdict. Existing claims take `updated_at`: only a verdict change or a payment ever
moved it, and a payment keeps the verdict, so the stored verdict is the one known at that instant.
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401
from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('claim', schema=None) as batch_op:
        batch_op.add_column(sa.Column('checked_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE claim SET checked_at = updated_at")
    with op.batch_alter_table('claim', schema=None) as batch_op:
        batch_op.alter_column('checked_at', existing_type=sa.DateTime(timezone=True), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('claim', schema=None) as batch_op:
        batch_op.drop_column('checked_at')
