"""jobs proportional to change

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-26 15:10:00

The stored statuses are current as of one day for everyone (`status_clock.as_of`, the oldest per-person
`status_as_of` before this revision), so the daily job writes only the rows that change. Sanction and
registration starts and ends are indexed (the job finds who crossed a boundary); the jobs find the non-zero
tallies of a past year through a partial index.
"""
from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DATE_INDEXES = [('sanction', 'starts_on'), ('sanction', 'ends_on'),
                ('registration', 'starts_on'), ('registration', 'ends_on')]
TALLIED = sa.text('tally > 0')


def upgrade() -> None:
    op.create_table('status_clock', sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('as_of', sa.Date(), nullable=True),
                    sa.PrimaryKeyConstraint('id', name=op.f('pk_status_clock')))
    op.execute("INSERT INTO status_clock (id, as_of) SELECT 1, MIN(status_as_of) FROM practitioner")
    for table, column in DATE_INDEXES:
        op.create_index(f'ix_{table}_{column}', table, [column])
    op.create_index('ix_practitioner_tallied', 'practitioner', ['tally_year'],
                    postgresql_where=TALLIED, sqlite_where=TALLIED)
    op.drop_index('ix_practitioner_status_as_of', table_name='practitioner')
    # a native DROP COLUMN (SQLite >= 3.35): recreating the table would trip the foreign keys that point at it
    with op.batch_alter_table('practitioner', recreate='never') as batch_op:
        batch_op.drop_column('status_as_of')


def downgrade() -> None:
    with op.batch_alter_table('practitioner', recreate='never') as batch_op:
        batch_op.add_column(sa.Column('status_as_of', sa.Date(), nullable=True))
    op.execute("UPDATE practitioner SET status_as_of = (SELECT as_of FROM status_clock)")
    op.create_index('ix_practitioner_status_as_of', 'practitioner', ['status_as_of'])
    op.drop_index('ix_practitioner_tallied', table_name='practitioner')
    for table, column in reversed(DATE_INDEXES):
        op.drop_index(f'ix_{table}_{column}', table_name=table)
    op.drop_table('status_clock')
