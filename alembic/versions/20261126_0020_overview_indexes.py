"""overview indexes

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-26 21:00:00

The region overview counts a year's point records by month, violation type and institution: an index on the
decision date that also holds the columns it groups by, so the counts are read from the index; the people a
region's supervisor sees are read as one set, the region's own from an index on the person's region. The to-do page
and the header's count find the suspensions of undecided length (live, not decided) from an index too, by the
end of their default period.
"""
from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RECORDS = ["decision_date", "practitioner_id", "institution_id", "violation_code", "points"]
UNDECIDED = ["months_decided", "kind", "revoked_at", "ends_on", "trigger_record_id"]


def upgrade() -> None:
    with op.batch_alter_table("point_record", schema=None) as batch_op:
        batch_op.create_index("ix_point_record_decision_date", RECORDS, unique=False)
    with op.batch_alter_table("sanction", schema=None) as batch_op:
        batch_op.create_index("ix_sanction_undecided", UNDECIDED, unique=False)
    with op.batch_alter_table("practitioner", schema=None) as batch_op:
        batch_op.create_index("ix_practitioner_region", ["region"], unique=False, postgresql_include=["id"])


def downgrade() -> None:
    with op.batch_alter_table("practitioner", schema=None) as batch_op:
        batch_op.drop_index("ix_practitioner_region")
    with op.batch_alter_table("sanction", schema=None) as batch_op:
        batch_op.drop_index("ix_sanction_undecided")
    with op.batch_alter_table("point_record", schema=None) as batch_op:
        batch_op.drop_index("ix_point_record_decision_date")
