"""practitioner name index, for the supervisors' search by name prefix

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 13:50:00
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('practitioner', schema=None) as batch_op:
        batch_op.create_index('ix_practitioner_name', ['name'], unique=False,
                              postgresql_ops={'name': 'text_pattern_ops'})


def downgrade() -> None:
    with op.batch_alter_table('practitioner', schema=None) as batch_op:
        batch_op.drop_index('ix_practitioner_name')
