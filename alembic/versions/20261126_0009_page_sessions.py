"""page sessions: the pages' server-side sign-ins (the cookie holds a random value, never a token)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 14:15:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes

from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('page_session',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('token_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('scope', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('token_expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_reason', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.ForeignKeyConstraint(['token_id'], ['api_token.id'], name=op.f('fk_page_session_token_id_api_token')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_page_session'))
    )
    with op.batch_alter_table('page_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_page_session_token_id'), ['token_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('page_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_page_session_token_id'))
    op.drop_table('page_session')
