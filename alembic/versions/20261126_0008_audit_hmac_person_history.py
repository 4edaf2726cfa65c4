"""audit hmac person history

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 14:15:00

Audit entries gain `keyed` (their hash is an HMAC under the audit key) and `subject` (the person an entry is
about, indexed with seq for a person's history). Entries already there stay as they were, `keyed` false: the
key is not known here, so `points audit verify` reports them until `points audit reseal` re-chains them.
Their subject is filled in where the entry names a person (no entry's legacy hash covers the subject).
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PERSON_OF = {  # entity -> the SQL naming the person of an entry about one row of that entity
    'practitioner': "audit_log.entity_id",
    'point_record': "(SELECT p.code FROM point_record r JOIN practitioner p ON p.id = r.practitioner_id "
                    "WHERE CAST(r.id AS TEXT) = audit_log.entity_id)",
    'repair_credit': "(SELECT p.code FROM repair_credit r JOIN practitioner p ON p.id = r.practitioner_id "
                     "WHERE CAST(r.id AS TEXT) = audit_log.entity_id)",
    'registration': "(SELECT p.code FROM registration r JOIN practitioner p ON p.id = r.practitioner_id "
                    "WHERE CAST(r.id AS TEXT) = audit_log.entity_id)",
}


def upgrade() -> None:
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
        batch_op.add_column(sa.Column('keyed', sa.Boolean(), nullable=False, server_default=sa.false()))
    for entity, person in _PERSON_OF.items():
        op.execute(f"UPDATE audit_log SET subject = {person} WHERE entity = '{entity}'")
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.alter_column('keyed', existing_type=sa.Boolean(), server_default=None)
        batch_op.create_index('ix_audit_log_subject_seq', ['subject', 'seq'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_subject_seq')
        batch_op.drop_column('keyed')
        batch_op.drop_column('subject')
