"""suspension decision by trigger

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-26 15:00:00

A suspension's length decision names the suspension by its trigger record (the record whose points crossed
the threshold), not by (year, ordinal), so an annulment that moves the trigger leaves the new suspension
undecided. Existing decisions take the trigger of the suspension row in their (year, ordinal) slot; year and
ordinal stay, for reading. A decision whose slot has no row keeps a null trigger: kept, never applied.
"""
from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FK = 'fk_suspension_decision_trigger_record_id_point_record'


def upgrade() -> None:
    with op.batch_alter_table('suspension_decision') as batch_op:
        batch_op.add_column(sa.Column('trigger_record_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(FK, 'point_record', ['trigger_record_id'], ['id'])
    op.execute("UPDATE suspension_decision SET trigger_record_id = (SELECT s.trigger_record_id FROM sanction s "
               "WHERE s.practitioner_id = suspension_decision.practitioner_id AND s.kind = 'suspension' "
               "AND s.year = suspension_decision.year AND s.ordinal = suspension_decision.ordinal)")


def downgrade() -> None:
    with op.batch_alter_table('suspension_decision') as batch_op:
        batch_op.drop_constraint(FK, type_='foreignkey')
        batch_op.drop_column('trigger_record_id')
