"""The full picture of one person, as the person, their institution and supervisors see it."""
from collections import defaultdict
from datetime import date

from sqlalchemy import select
from sqlmodel import Session

from api.db.models import (
    Institution,
    Notification,
    Objection,
    PointRecord,
    Practitioner,
    RecordReview,
    Registration,
    Sanction,
    SuspensionDecision,
)
from api.ledger.service import timeline_of
from api.people.schemas import (
    NoticeView,
    NotificationView,
    ObjectionView,
    PersonView,
    RecordView,
    RegistrationView,
    ReviewView,
    SanctionView,
    YearView,
)
from points import Policy, Status
from points.dates import ONE_DAY, china_date
from points.objections import objection_deadline


def _records(session: Session, person: Practitioner, policy: Policy, effective: dict[int, int]) -> list[RecordView]:
    rows = session.execute(select(PointRecord, Institution.code).join(Institution)
                           .where(PointRecord.practitioner_id == person.id)
                           .order_by(PointRecord.decision_date, PointRecord.id)).all()
    ids = [r.id for r, _ in rows]
    reviews, objections = defaultdict(list), defaultdict(list)
    for review in session.scalars(select(RecordReview).where(RecordReview.record_id.in_(ids))
                                  .order_by(RecordReview.decided_on, RecordReview.id)):
        reviews[review.record_id].append(ReviewView.model_validate(review, from_attributes=True))
    for objection in session.scalars(select(Objection).where(Objection.record_id.in_(ids)).order_by(Objection.id)):
        objections[objection.record_id].append(ObjectionView.model_validate(objection, from_attributes=True))
    out = []
    for record, institution_code in rows:
        violation = policy.violation(record.violation_code, person.region, record.decision_date)
        out.append(RecordView(
            id=record.id, violation_code=record.violation_code, violation_zh=violation.name_zh,
            violation_en=violation.name_en, band=violation.band, points_recorded=record.points,
            points=effective[record.id], annulled=any(r.outcome == "annul" for r in reviews[record.id])
            and effective[record.id] == 0, responsibility=record.responsibility, decision_date=record.decision_date,
            case_number=record.case_number, authority=record.authority,
            authority_region=record.authority_region, institution_code=institution_code,
            reviews=reviews[record.id], objections=objections[record.id],
            objection_deadline=objection_deadline(policy, person.region, china_date(record.recorded_at))))
    return out


def _length_decision(sanction: Sanction, lengths: dict[int, SuspensionDecision]) -> dict:
    decision = lengths.get(sanction.trigger_record_id) if sanction.months_decided else None
    return {"length_decided_by": decision.decided_by, "length_decided_on": decision.decided_on} if decision else {}


def person_view(session: Session, person: Practitioner, policy: Policy, today: date) -> PersonView:
    timeline = timeline_of(session, person, policy)
    state = timeline.status_on(today)
    params = policy.parameters(person.region, today)
    this_year = timeline.years.get(today.year)
    repaired = this_year.repaired if this_year else 0
    ban_end = next((t.ban_ends_on for t in reversed(timeline.terminations) if t.starts_on <= today), None)
    sanctions = session.scalars(select(Sanction).where(Sanction.practitioner_id == person.id)
                                .order_by(Sanction.starts_on, Sanction.id)).all()
    lengths = {d.trigger_record_id: d for d in session.scalars(  # the latest recorded decision wins, as in derive
        select(SuspensionDecision).where(SuspensionDecision.practitioner_id == person.id)
        .order_by(SuspensionDecision.id))}
    registrations = session.execute(
        select(Registration.id, Institution.code, Registration.starts_on, Registration.ends_on,
               Registration.end_reason).join(Institution)
        .where(Registration.practitioner_id == person.id).order_by(Registration.starts_on, Registration.id)).all()
    notifications = session.scalars(
        select(Notification).where(Notification.recipient_kind == "practitioner",
                                   Notification.recipient_code == person.code)
        .order_by(Notification.id.desc()).limit(50)).all()
    return PersonView(
        code=person.code, name=person.name, category=person.category, region=person.region, as_of=today,
        status=state.status, until=state.until,
        eligible_again_on=state.until + ONE_DAY if state.status is Status.SUSPENDED and state.until else None,
        may_register_from=ban_end + ONE_DAY if ban_end and state.status in (Status.BANNED, Status.TERMINATED)
        else None,
        year=today.year, points_this_year=timeline.tally(today.year),
        repair_left_this_year=max(0, params.repair_cap_per_year - repaired),
        years=[YearView(year=y.year, recorded=y.recorded, repaired=y.repaired, net=y.net)
               for y in timeline.years.values()],
        records=_records(session, person, policy, timeline.points),
        sanctions=[SanctionView(**s.model_dump(include=set(SanctionView.model_fields) - {"revoked"}),
                                revoked=s.revoked_at is not None, **_length_decision(s, lengths)) for s in sanctions],
        notices=[NoticeView(kind=n.kind, on=n.on, tally=n.tally) for n in timeline.notices],
        registrations=[RegistrationView(id=i, institution_code=c, starts_on=s, ends_on=e, end_reason=r)
                       for i, c, s, e, r in registrations],
        notifications=[NotificationView.model_validate(n, from_attributes=True) for n in notifications],
    )
