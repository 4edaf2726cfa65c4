"""status feed and webhook batches

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-26 18:00:00

Status events become a feed: each has a kind (`effective` for a status change taking effect, `decided`,
`corrected`, `lifted` for a sanction), the first day of what it describes, the sanction it is about, and `seq`,
its position in the feed, given when its transaction commits (under the `status_feed` counter's row lock, so
positions follow commit order). Events written before this revision keep their order: `seq` = `id`, kind
`effective`, `starts_on` = `effective_on`. Webhook deliveries go out in batches (`webhook_batch`), one pending
batch per subscription at a time.
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes

from alembic import op

revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('status_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False,
                                      server_default='effective'))
        batch_op.add_column(sa.Column('starts_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('sanction_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('seq', sa.BigInteger(), nullable=True))
    op.execute("UPDATE status_event SET seq = id, starts_on = effective_on")
    op.execute("INSERT INTO change_counter (name, value) SELECT 'status_feed', COALESCE(MAX(id), 0) FROM status_event")
    with op.batch_alter_table('status_event', schema=None) as batch_op:
        batch_op.alter_column('kind', existing_type=sqlmodel.sql.sqltypes.AutoString(length=16), server_default=None)
        batch_op.create_index('ix_status_event_seq', ['seq'], unique=True)
        batch_op.create_index('ix_status_event_region_seq', ['region', 'seq'], unique=False)

    op.create_table(
        'webhook_batch',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('subscription_id', sa.Integer(), nullable=False),
        sa.Column('events', sa.Integer(), nullable=False),
        sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_status', sa.Integer(), nullable=True),
        sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['subscription_id'], ['webhook_subscription.id'],
                                name=op.f('fk_webhook_batch_subscription_id_webhook_subscription')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_batch')),
    )
    with op.batch_alter_table('webhook_batch', schema=None) as batch_op:
        batch_op.create_index('ix_webhook_batch_due', ['state', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_webhook_batch_subscription_id'), ['subscription_id'], unique=False)
        batch_op.create_index('uq_webhook_batch_subscription_id_pending', ['subscription_id'], unique=True,
                              sqlite_where=sa.text("state = 'pending'"), postgresql_where=sa.text("state = 'pending'"))

    with op.batch_alter_table('webhook_delivery', schema=None) as batch_op:
        batch_op.add_column(sa.Column('batch_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_webhook_delivery_batch_id'), ['batch_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_webhook_delivery_batch_id_webhook_batch'), 'webhook_batch',
                                    ['batch_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('webhook_delivery', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_webhook_delivery_batch_id_webhook_batch'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_webhook_delivery_batch_id'))
        batch_op.drop_column('batch_id')
    with op.batch_alter_table('webhook_batch', schema=None) as batch_op:
        batch_op.drop_index('uq_webhook_batch_subscription_id_pending')
        batch_op.drop_index(batch_op.f('ix_webhook_batch_subscription_id'))
        batch_op.drop_index('ix_webhook_batch_due')
    op.drop_table('webhook_batch')
    op.execute("DELETE FROM change_counter WHERE name = 'status_feed'")
    # sanction events (decided, corrected, lifted) have no place in the older outbox: their deliveries go too
    op.execute("DELETE FROM webhook_delivery WHERE event_id IN (SELECT id FROM status_event WHERE kind <> 'effective')")
    op.execute("DELETE FROM status_event WHERE kind <> 'effective'")
    with op.batch_alter_table('status_event', schema=None) as batch_op:
        batch_op.drop_index('ix_status_event_region_seq')
        batch_op.drop_index('ix_status_event_seq')
        batch_op.drop_column('seq')
        batch_op.drop_column('sanction_id')
        batch_op.drop_column('starts_on')
        batch_op.drop_column('kind')
