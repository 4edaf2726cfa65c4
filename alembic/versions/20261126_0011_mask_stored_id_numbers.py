"""mask stored id numbers

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26 14:15:00

National ID numbers written before the mask caught every form (spaces, hyphens, full-width digits, a label
glued to the number) are masked where free text was stored. A claim ref or webhook URL that held one is masked
too; such a subscription is switched off (its masked URL is not where the receiver listens). A stored answer
whose idempotency key held one is dropped (it only replays an old answer; such keys are refused now).

The audit log is left as it is: its entries are hash-chained evidence, and rewriting them would break the
chain. Masking cannot be undone, so the downgrade changes nothing.
"""
import json
from collections.abc import Sequence
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

from points.privacy import mask_id_numbers

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> (key column, free-text columns)
FREE_TEXT = {
    'institution': ('id', ('name',)),
    'practitioner': ('id', ('name',)),
    'registration': ('id', ('created_by',)),
    'point_record': ('id', ('case_number', 'authority', 'recorded_by')),
    'record_review': ('id', ('reason', 'reviewer')),
    'repair_credit': ('id', ('activity', 'recorded_by')),
    'suspension_decision': ('id', ('reason', 'decided_by')),
    'objection': ('id', ('reason',)),
    'notification': ('id', ('message',)),
    'api_token': ('id', ('name',)),
    'page_session': ('id', ('name',)),
    'webhook_subscription': ('id', ('owner_name', 'url')),
    'webhook_delivery': ('id', ('last_error',)),
    'claim': ('id', ('ref',)),
    'idempotency_record': ('id', ('key', 'body')),
}
CHUNK = 5_000


def _mask_json(text: str) -> str:
    """A stored JSON answer: its strings masked, the JSON kept valid."""
    def walk(value):
        if isinstance(value, str):
            return mask_id_numbers(value)
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        return value

    try:
        return json.dumps(walk(json.loads(text)), ensure_ascii=False)
    except ValueError:
        return mask_id_numbers(text)


def _changed_rows(conn, table: sa.Table, key: str, columns: tuple[str, ...]):
    """(key, {column: masked}) for each row where masking changes something, read in key order."""
    after = None
    while True:
        query = sa.select(table.c[key], *[table.c[c] for c in columns]).order_by(table.c[key]).limit(CHUNK)
        if after is not None:
            query = query.where(table.c[key] > after)
        rows = conn.execute(query).all()
        if not rows:
            return
        for row in rows:
            changes = {}
            for column, value in zip(columns, row[1:]):
                if value:
                    masked = _mask_json(value) if (table.name, column) == ('idempotency_record', 'body') \
                        else mask_id_numbers(value)
                    if masked != value:
                        changes[column] = masked
            if changes:
                yield row[0], changes
        after = rows[-1][0]


def _taken(conn, table: sa.Table, row_key, changes: dict) -> bool:
    """Would the masked claim ref collide with another claim of the same client?"""
    if table.name == 'claim' and 'ref' in changes:
        client = conn.execute(sa.select(table.c.client).where(table.c.id == row_key)).scalar_one()
        return conn.execute(sa.select(table.c.id).where(table.c.client == client,
                                                        table.c.ref == changes['ref'])).first() is not None
    return False


def upgrade() -> None:
    conn = op.get_bind()
    meta = sa.MetaData()
    now = datetime.now(timezone.utc)
    for name, (key, columns) in FREE_TEXT.items():
        table = sa.Table(name, meta, autoload_with=conn)
        for row_key, changes in list(_changed_rows(conn, table, key, columns)):
            where = table.c[key] == row_key
            if name == 'idempotency_record' and 'key' in changes:
                conn.execute(sa.delete(table).where(where))
                continue
            if _taken(conn, table, row_key, changes):
                suffix = f":{row_key}"  # two refs masked alike stay two claims
                changes['ref'] = changes['ref'][:64 - len(suffix)] + suffix
            if name == 'webhook_subscription' and 'url' in changes:
                changes.update(active=False, deactivated_at=now)
            conn.execute(sa.update(table).where(where).values(**changes))


def downgrade() -> None:
    pass  # masking cannot be undone
