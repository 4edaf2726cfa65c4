"""snapshot packed standing

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-26 15:10:00

PostgreSQL: the unique index on practitioner codes also holds the id, so the eligibility snapshot reads everyone
in code order from the index alone (an index-only scan instead of a heap fetch per person). The index is rebuilt
in the migration's transaction: writes to `practitioner` wait for it (seconds per million people). SQLite's index
on the code already holds the id (the rowid): nothing to do.
"""
from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
import sqlmodel.sql.sqltypes  # noqa: F401

from alembic import op

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _postgres() -> bool:
    return op.get_bind().dialect.name == 'postgresql'


def upgrade() -> None:
    if _postgres():
        op.drop_index('ix_practitioner_code', table_name='practitioner')
        op.create_index('ix_practitioner_code', 'practitioner', ['code'], unique=True, postgresql_include=['id'])


def downgrade() -> None:
    if _postgres():
        op.drop_index('ix_practitioner_code', table_name='practitioner')
        op.create_index('ix_practitioner_code', 'practitioner', ['code'], unique=True)
