"""webhooks and lists

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 14:15:00

Indexes for keyset paging (every list pages by a unique key after a filter) and for the stale-status check;
status events keep the person's region and when the scheduler fanned them out to deliveries. Events written
before this revision already have their deliveries: they are marked fanned out.
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


INDEXES = [  # (table, name, columns)
    ('practitioner', 'ix_practitioner_status_code', ['status', 'code']),
    ('practitioner', 'ix_practitioner_status_as_of', ['status_as_of']),
    ('registration', 'ix_registration_institution_practitioner', ['institution_id', 'practitioner_id']),
    ('claim', 'ix_claim_client_state_id', ['client', 'state', 'id']),
    ('webhook_delivery', 'ix_webhook_delivery_subscription_id_id', ['subscription_id', 'id']),
]


def upgrade() -> None:
    for table, name, columns in INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(name, columns, unique=False)
    with op.batch_alter_table('status_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('region', sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('fanned_out_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE status_event SET fanned_out_at = created_at")
    with op.batch_alter_table('status_event', schema=None) as batch_op:
        batch_op.alter_column('region', server_default=None)
        batch_op.create_index('ix_status_event_fanned_out_at', ['fanned_out_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('status_event', schema=None) as batch_op:
        batch_op.drop_index('ix_status_event_fanned_out_at')
        batch_op.drop_column('fanned_out_at')
        batch_op.drop_column('region')
    for table, name, _ in reversed(INDEXES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(name)
