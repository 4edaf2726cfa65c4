"""one open objection per record

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26 14:15:00

Parallel filings could leave several objections open on one record. The oldest stays open; the others are
closed as `duplicate` (kept, not deleted), then a partial unique index allows one open objection per record.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("state = 'open'")


def upgrade() -> None:
    op.execute("UPDATE objection SET state = 'duplicate' WHERE state = 'open' AND id NOT IN "
               "(SELECT MIN(id) FROM objection WHERE state = 'open' GROUP BY record_id)")
    with op.batch_alter_table('objection') as batch_op:
        batch_op.create_index('uq_objection_record_id_open', ['record_id'], unique=True,
                              sqlite_where=OPEN, postgresql_where=OPEN)


def downgrade() -> None:
    with op.batch_alter_table('objection') as batch_op:
        batch_op.drop_index('uq_objection_record_id_open')
    # duplicates stay closed: reopening them could reopen what a review has since closed
