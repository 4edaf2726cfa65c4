"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23 09:33:23.003316
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401  (autogenerate writes AutoString without importing it)
from alembic import op


revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('entity', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('entity_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    op.create_table('claim',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ref', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('institution_code', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('practitioner_code', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('service_date', sa.Date(), nullable=False),
    sa.Column('emergency', sa.Boolean(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claim'))
    )
    with op.batch_alter_table('claim', schema=None) as batch_op:
        batch_op.create_index('ix_claim_practitioner_service', ['practitioner_code', 'service_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_claim_ref'), ['ref'], unique=True)
        batch_op.create_index(batch_op.f('ix_claim_state'), ['state'], unique=False)

    op.create_table('institution',
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('kind', sa.Text(), nullable=False),
    sa.Column('region', sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_institution'))
    )
    with op.batch_alter_table('institution', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_institution_code'), ['code'], unique=True)

    op.create_table('practitioner',
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('category', sa.Text(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('region', sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('status_until', sa.Date(), nullable=True),
    sa.Column('status_as_of', sa.Date(), nullable=True),
    sa.Column('ledger_version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_practitioner'))
    )
    with op.batch_alter_table('practitioner', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_practitioner_code'), ['code'], unique=True)
        batch_op.create_index(batch_op.f('ix_practitioner_status'), ['status'], unique=False)

    op.create_table('point_record',
    sa.Column('violation_code', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('responsibility', sa.Text(), nullable=False),
    sa.Column('decision_date', sa.Date(), nullable=False),
    sa.Column('case_number', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('authority', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('practitioner_id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('recorded_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('points BETWEEN 1 AND 12', name=op.f('ck_point_record_points_range')),
    sa.ForeignKeyConstraint(['institution_id'], ['institution.id'], name=op.f('fk_point_record_institution_id_institution')),
    sa.ForeignKeyConstraint(['practitioner_id'], ['practitioner.id'], name=op.f('fk_point_record_practitioner_id_practitioner')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_point_record'))
    )
    with op.batch_alter_table('point_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_point_record_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_point_record_practitioner_id'), ['practitioner_id'], unique=False)

    op.create_table('registration',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('practitioner_id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institution.id'], name=op.f('fk_registration_institution_id_institution')),
    sa.ForeignKeyConstraint(['practitioner_id'], ['practitioner.id'], name=op.f('fk_registration_practitioner_id_practitioner')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registration'))
    )
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registration_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_registration_practitioner_id'), ['practitioner_id'], unique=False)

    op.create_table('repair_credit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('practitioner_id', sa.Integer(), nullable=False),
    sa.Column('activity_date', sa.Date(), nullable=False),
    sa.Column('activity', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('recorded_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['practitioner_id'], ['practitioner.id'], name=op.f('fk_repair_credit_practitioner_id_practitioner')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_repair_credit'))
    )
    with op.batch_alter_table('repair_credit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_repair_credit_practitioner_id'), ['practitioner_id'], unique=False)

    op.create_table('suspension_decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('practitioner_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('ordinal', sa.Integer(), nullable=False),
    sa.Column('months', sa.Integer(), nullable=False),
    sa.Column('decided_on', sa.Date(), nullable=False),
    sa.Column('decided_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['practitioner_id'], ['practitioner.id'], name=op.f('fk_suspension_decision_practitioner_id_practitioner')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_suspension_decision'))
    )
    with op.batch_alter_table('suspension_decision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_suspension_decision_practitioner_id'), ['practitioner_id'], unique=False)

    op.create_table('record_review',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.Text(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=True),
    sa.Column('decided_on', sa.Date(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('reviewer', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['record_id'], ['point_record.id'], name=op.f('fk_record_review_record_id_point_record')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_record_review'))
    )
    with op.batch_alter_table('record_review', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_record_review_record_id'), ['record_id'], unique=False)

    op.create_table('sanction',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('practitioner_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('ordinal', sa.Integer(), nullable=False),
    sa.Column('decided_on', sa.Date(), nullable=False),
    sa.Column('trigger_record_id', sa.Integer(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('months', sa.Integer(), nullable=True),
    sa.Column('months_decided', sa.Boolean(), nullable=False),
    sa.Column('single_record', sa.Boolean(), nullable=False),
    sa.Column('cut_short_by', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_reason', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['practitioner_id'], ['practitioner.id'], name=op.f('fk_sanction_practitioner_id_practitioner')),
    sa.ForeignKeyConstraint(['trigger_record_id'], ['point_record.id'], name=op.f('fk_sanction_trigger_record_id_point_record')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sanction')),
    sa.UniqueConstraint('practitioner_id', 'kind', 'year', 'ordinal', name='uq_sanction_slot')
    )
    with op.batch_alter_table('sanction', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sanction_practitioner_id'), ['practitioner_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('sanction', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sanction_practitioner_id'))

    op.drop_table('sanction')
    with op.batch_alter_table('record_review', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_record_review_record_id'))

    op.drop_table('record_review')
    with op.batch_alter_table('suspension_decision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_suspension_decision_practitioner_id'))

    op.drop_table('suspension_decision')
    with op.batch_alter_table('repair_credit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_repair_credit_practitioner_id'))

    op.drop_table('repair_credit')
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registration_practitioner_id'))
        batch_op.drop_index(batch_op.f('ix_registration_institution_id'))

    op.drop_table('registration')
    with op.batch_alter_table('point_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_point_record_practitioner_id'))
        batch_op.drop_index(batch_op.f('ix_point_record_institution_id'))

    op.drop_table('point_record')
    with op.batch_alter_table('practitioner', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_practitioner_status'))
        batch_op.drop_index(batch_op.f('ix_practitioner_code'))

    op.drop_table('practitioner')
    with op.batch_alter_table('institution', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_institution_code'))

    op.drop_table('institution')
    with op.batch_alter_table('claim', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_claim_state'))
        batch_op.drop_index(batch_op.f('ix_claim_ref'))
        batch_op.drop_index('ix_claim_practitioner_service')

    op.drop_table('claim')
    op.drop_table('audit_log')

