"""Column queries that turn ledger rows into domain values, for one person or many at once (bulk IN)."""
from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import select
from sqlmodel import Session

from api.db.models import (
    Institution,
    PointRecord,
    Practitioner,
    RecordReview,
    Registration,
    RepairCredit,
    SuspensionDecision,
)
from points import ledger as L

CHUNK = 1000  # ids per IN list: well under every driver's parameter limit


def chunks(ids: list) -> Iterable[list]:
    for i in range(0, len(ids), CHUNK):
        yield ids[i:i + CHUNK]


def load_ledgers(session: Session, practitioner_ids: Iterable[int]) -> dict[int, L.Ledger]:
    ids = sorted(set(practitioner_ids))
    people, parts = {}, defaultdict(lambda: defaultdict(list))
    for chunk in chunks(ids):
        for pid, code, region in session.execute(
                select(Practitioner.id, Practitioner.code, Practitioner.region).where(Practitioner.id.in_(chunk))):
            people[pid] = (code, region)
        for row in session.execute(
                select(PointRecord.practitioner_id, PointRecord.id, PointRecord.violation_code, PointRecord.points,
                       PointRecord.decision_date, PointRecord.case_number, PointRecord.authority, Institution.code,
                       PointRecord.responsibility, PointRecord.recorded_at)
                .join(Institution, Institution.id == PointRecord.institution_id)
                .where(PointRecord.practitioner_id.in_(chunk))):
            parts[row[0]]["records"].append(L.PointRecord(*row[1:8], L.Responsibility(row[8]), recorded_at=row[9]))
        for pid, *rest in session.execute(
                select(PointRecord.practitioner_id, RecordReview.id, RecordReview.record_id, RecordReview.outcome,
                       RecordReview.decided_on, RecordReview.points, RecordReview.created_at)
                .join(PointRecord, PointRecord.id == RecordReview.record_id)
                .where(PointRecord.practitioner_id.in_(chunk))):
            rid, record_id, outcome, decided_on, points, at = rest
            parts[pid]["reviews"].append(L.Review(rid, record_id, L.ReviewOutcome(outcome), decided_on, points,
                                                  recorded_at=at))
        for pid, *rest in session.execute(
                select(RepairCredit.practitioner_id, RepairCredit.id, RepairCredit.activity_date, RepairCredit.activity,
                       RepairCredit.authority_region, RepairCredit.created_at)
                .where(RepairCredit.practitioner_id.in_(chunk))):
            parts[pid]["repairs"].append(L.RepairCredit(*rest[:4], recorded_at=rest[4]))
        for pid, *rest in session.execute(
                select(SuspensionDecision.practitioner_id, SuspensionDecision.id, SuspensionDecision.trigger_record_id,
                       SuspensionDecision.months, SuspensionDecision.decided_on, SuspensionDecision.created_at)
                .where(SuspensionDecision.practitioner_id.in_(chunk),
                       SuspensionDecision.trigger_record_id.is_not(None))):
            parts[pid]["decisions"].append(L.SuspensionDecision(*rest[:-1], recorded_at=rest[-1]))
        for pid, *rest in session.execute(
                select(Registration.practitioner_id, Registration.id, Institution.code, Registration.starts_on,
                       Registration.ends_on, Registration.created_at, Registration.ended_at)
                .join(Institution, Institution.id == Registration.institution_id)
                .where(Registration.practitioner_id.in_(chunk))):
            parts[pid]["registrations"].append(L.Registration(*rest[:4], recorded_at=rest[4], end_recorded_at=rest[5]))
    return {
        pid: L.Ledger(person=code, region=region, **{k: tuple(v) for k, v in parts[pid].items()})
        for pid, (code, region) in people.items()
    }
