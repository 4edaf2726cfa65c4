"""authority region on decisions; claims namespaced per settlement client

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 14:15:00

Every record, repair and suspension decision keeps the region of the authority that decided it, so only that
region (or one above it) may change it. Existing rows take the region that was the narrowest plausible
decider: a record its institution's region, a repair or decision the person's own region.
Claim refs become unique per settlement client; existing claims belong to client '' (submitted before).
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_REGION = sqlmodel.sql.sqltypes.AutoString(length=6)


def upgrade() -> None:
    for table in ('point_record', 'repair_credit', 'suspension_decision'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('authority_region', _REGION, nullable=False, server_default=''))
    op.execute("UPDATE point_record SET authority_region = "
               "(SELECT region FROM institution WHERE institution.id = point_record.institution_id)")
    for table in ('repair_credit', 'suspension_decision'):
        op.execute(f"UPDATE {table} SET authority_region = "
                   f"(SELECT region FROM practitioner WHERE practitioner.id = {table}.practitioner_id)")
    for table in ('point_record', 'repair_credit', 'suspension_decision'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('authority_region', server_default=None)

    with op.batch_alter_table('claim', schema=None) as batch_op:
        batch_op.add_column(sa.Column('client', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False,
                                      server_default=''))
    with op.batch_alter_table('claim', schema=None) as batch_op:
        batch_op.alter_column('client', server_default=None)
        batch_op.drop_index('ix_claim_ref')
        batch_op.create_unique_constraint('uq_claim_client_ref', ['client', 'ref'])


def downgrade() -> None:
    with op.batch_alter_table('claim', schema=None) as batch_op:
        batch_op.drop_constraint('uq_claim_client_ref', type_='unique')
        batch_op.create_index('ix_claim_ref', ['ref'], unique=True)
        batch_op.drop_column('client')
    for table in ('suspension_decision', 'repair_credit', 'point_record'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('authority_region')
