"""standing version counter

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 10:05:23.122198
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401  (autogenerate writes AutoString without importing it)
from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table('change_counter',
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_change_counter'))
    )
    op.execute("INSERT INTO change_counter (name, value) VALUES ('standing', 0)")
    with op.batch_alter_table('practitioner', schema=None) as batch_op:
        batch_op.add_column(sa.Column('standing_version', sa.BigInteger(), nullable=False, server_default=sa.text('0')))
        batch_op.create_index(batch_op.f('ix_practitioner_standing_version'), ['standing_version'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('practitioner', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_practitioner_standing_version'))
        batch_op.drop_column('standing_version')

    op.drop_table('change_counter')

