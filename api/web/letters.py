"""The printable 告知书 (notification letter) of a point record and of a sanction: the authority, the case
number, the violation, the points, the year's total, the consequence, and how and until when to object.
Supervisors print the letters of the people they see (their region); a practitioner prints only their own."""
from datetime import date

from fastapi import APIRouter, Request
from sqlalchemy import select
from sqlmodel import Session

from api.auth.tokens import Principal
from api.authz.scope import get_visible_record, visible_people
from api.db.models import Institution, PointRecord, Practitioner, Sanction
from api.deps import IdPath, PolicyDep, ReadSessionDep, TodayDep
from api.errors import NotFound
from api.ledger import service as ledger
from api.people.view import person_view
from api.web.auth import PagePractitionerDep, PageSupervisorDep
from api.web.render import page
from points import Policy

router = APIRouter(prefix="/ui", include_in_schema=False)


def sanction_ids(session: Session, person_id: int) -> dict[tuple[str, int, int], int]:
    """(kind, year, ordinal) -> sanction id: the person page links each sanction to its letter."""
    rows = session.execute(select(Sanction.kind, Sanction.year, Sanction.ordinal, Sanction.id)
                           .where(Sanction.practitioner_id == person_id)).all()
    return {(r.kind, r.year, r.ordinal): r.id for r in rows}


def _common(session: Session, person: Practitioner, record: PointRecord, policy: Policy, today: date, year: int):
    view = person_view(session, person, policy, today)
    shown = next(r for r in view.records if r.id == record.id)
    institution = session.get(Institution, record.institution_id)
    return {"view": view, "record": shown, "institution": institution, "today": today,
            "year": year, "year_total": next((y.net for y in view.years if y.year == year), 0),
            "params": policy.parameters(person.region, record.decision_date), "deadline": shown.objection_deadline}


def _record_letter(request: Request, session: Session, who: Principal, person: Practitioner, record: PointRecord,
                   policy: Policy, today: date, own: bool):
    context = _common(session, person, record, policy, today, record.decision_date.year)
    ids = sanction_ids(session, person.id)
    triggered = [(s, ids.get((s.kind, s.year, s.ordinal))) for s in context["view"].sanctions
                 if s.trigger_record_id == record.id and not s.revoked]
    return page(request, "letter.html", context | {"kind": "record", "triggered": triggered, "own": own},
                principal=who)


def _sanction_letter(request: Request, session: Session, who: Principal, person: Practitioner, sanction: Sanction,
                     policy: Policy, today: date, own: bool):
    record = session.get(PointRecord, sanction.trigger_record_id)
    context = _common(session, person, record, policy, today, sanction.year)
    shown = next(s for s in context["view"].sanctions
                 if (s.kind, s.year, s.ordinal) == (sanction.kind, sanction.year, sanction.ordinal))
    return page(request, "letter.html", context | {"kind": sanction.kind, "sanction": shown, "own": own},
                principal=who)


def _no_sanction(sanction_id: int) -> NotFound:
    return NotFound(f"no sanction {sanction_id}", "NOT_FOUND")


@router.get("/records/{record_id}/letter")
def record_letter(request: Request, record_id: IdPath, session: ReadSessionDep, who: PageSupervisorDep,
                  policy: PolicyDep, today: TodayDep):
    record, person = get_visible_record(session, who, record_id)
    return _record_letter(request, session, who, person, record, policy, today, own=False)


@router.get("/sanctions/{sanction_id}/letter")
def sanction_letter(request: Request, sanction_id: IdPath, session: ReadSessionDep, who: PageSupervisorDep,
                    policy: PolicyDep, today: TodayDep):
    found = session.execute(select(Sanction, Practitioner).join(Practitioner, Practitioner.id ==
                                                                 Sanction.practitioner_id)
                            .where(Sanction.id == sanction_id, visible_people(who))).first()
    if found is None:
        raise _no_sanction(sanction_id)
    return _sanction_letter(request, session, who, found[1], found[0], policy, today, own=False)


@router.get("/me/records/{record_id}/letter")
def my_record_letter(request: Request, record_id: IdPath, session: ReadSessionDep, who: PagePractitionerDep,
                     policy: PolicyDep, today: TodayDep):
    person = ledger.get_practitioner(session, who.scope)
    record = session.get(PointRecord, record_id)
    if record is None or record.practitioner_id != person.id:
        raise NotFound(f"you have no record {record_id}", "RECORD_NOT_FOUND")
    return _record_letter(request, session, who, person, record, policy, today, own=True)


@router.get("/me/sanctions/{sanction_id}/letter")
def my_sanction_letter(request: Request, sanction_id: IdPath, session: ReadSessionDep, who: PagePractitionerDep,
                       policy: PolicyDep, today: TodayDep):
    person = ledger.get_practitioner(session, who.scope)
    sanction = session.get(Sanction, sanction_id)
    if sanction is None or sanction.practitioner_id != person.id:
        raise _no_sanction(sanction_id)
    return _sanction_letter(request, session, who, person, sanction, policy, today, own=True)
