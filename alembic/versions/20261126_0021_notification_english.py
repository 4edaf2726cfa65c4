"""notification english

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-26 21:15:00

A notice (告知) keeps its English text beside the Chinese one, so an English page shows it in English. Notices
written before this revision have none: they are shown in Chinese.
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes

from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notification") as batch_op:
        batch_op.add_column(sa.Column("message_en", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notification") as batch_op:
        batch_op.drop_column("message_en")
