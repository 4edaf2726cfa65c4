"""hash-chained audit log

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 10:48:37.031879
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401  (autogenerate writes AutoString without importing it)
from datetime import datetime, timezone

from alembic import op


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _aware(value) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def upgrade() -> None:
    from api.audit import GENESIS, entry_hash  # the one definition of the chain's hash

    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seq', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('prev_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))

    # Chain the entries already there, in the order they were written.
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, at, actor, action, entity, entity_id, reason, detail FROM audit_log "
                                "ORDER BY id")).all()
    prev = GENESIS
    for seq, (row_id, at, actor, action, entity, entity_id, reason, detail) in enumerate(rows, 1):
        digest = entry_hash(seq, _aware(at), actor, action, entity, entity_id, reason, detail, prev)
        bind.execute(sa.text("UPDATE audit_log SET seq = :seq, prev_hash = :prev, hash = :hash WHERE id = :id"),
                     {"seq": seq, "prev": prev, "hash": digest, "id": row_id})
        prev = digest
    bind.execute(sa.text("INSERT INTO change_counter (name, value) VALUES ('audit', :n)"), {"n": len(rows)})

    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.alter_column('seq', existing_type=sa.BigInteger(), nullable=False)
        batch_op.alter_column('prev_hash', existing_type=sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False)
        batch_op.alter_column('hash', existing_type=sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False)
        batch_op.create_index(batch_op.f('ix_audit_log_seq'), ['seq'], unique=True)


def downgrade() -> None:
    op.execute("DELETE FROM change_counter WHERE name = 'audit'")
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_seq'))
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
        batch_op.drop_column('seq')
