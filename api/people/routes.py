"""Views of people: a person's own record (/v1/me), an institution's staff, and objections."""
from fastapi import APIRouter
from sqlalchemy import select

from api.access import ensure_can_view, ensure_institution
from api.auth.tokens import Principal
from api.db.models import Objection, Practitioner, Registration
from api.deps import PolicyDep, PractitionerDep, ReadSessionDep, SessionDep, StaffViewerDep, TodayDep
from api.eligibility.repository import load_standings
from api.idempotency import IdempotencyDep
from api.ledger import service as ledger
from api.people.schemas import ObjectionView, PersonView, StaffRow
from api.people.service import file_objection
from api.people.view import person_view
from api.supervision.schemas import ObjectionIn

router = APIRouter(prefix="/v1", tags=["people"])


@router.get("/practitioners/{code}", response_model=PersonView,
            summary="One person's record: points, sanctions, reviews (a supervisor of the region, or their institution)")
def get_practitioner(code: str, session: ReadSessionDep, who: StaffViewerDep, policy: PolicyDep, today: TodayDep):
    person = ledger.get_practitioner(session, code)
    ensure_can_view(session, who, person)
    return person_view(session, person, policy, today)


@router.get("/institutions/{code}/staff", response_model=list[StaffRow],
            summary="An institution's registered staff with today's status")
def institution_staff(code: str, session: SessionDep, who: StaffViewerDep, today: TodayDep):
    institution = ledger.get_institution(session, code)
    ensure_institution(who, institution)
    people = session.execute(
        select(Practitioner.code, Practitioner.name, Practitioner.category, Practitioner.region)
        .where(Practitioner.id.in_(select(Registration.practitioner_id)
                                   .where(Registration.institution_id == institution.id)))
        .order_by(Practitioner.code)).all()
    standings = load_standings(session, [p.code for p in people])
    rows = []
    for p in people:
        state = standings[p.code].status_on(today)
        rows.append(StaffRow(code=p.code, name=p.name, category=p.category, region=p.region, status=state.status,
                             until=state.until, status_as_of=today))
    return rows


def _me(session, who: Principal) -> Practitioner:
    return ledger.get_practitioner(session, who.scope)


@router.get("/me", response_model=PersonView, tags=["practitioners"],
            summary="My record: this year's points, every record with its reason, status, return date, repair left")
def me(session: ReadSessionDep, who: PractitionerDep, policy: PolicyDep, today: TodayDep):
    return person_view(session, _me(session, who), policy, today)


@router.post("/me/objections", response_model=ObjectionView, status_code=201, tags=["practitioners"],
             summary="Object to one of my records (异议申诉); a supervisor reviews it")
def object_to_record(body: ObjectionIn, session: SessionDep, who: PractitionerDep, policy: PolicyDep,
                     idem: IdempotencyDep):
    def run():
        row = file_objection(session, _me(session, who), body, policy)
        return ObjectionView.model_validate(row, from_attributes=True)

    return idem.run(body, run)


@router.get("/me/objections", response_model=list[ObjectionView], tags=["practitioners"])
def my_objections(session: SessionDep, who: PractitionerDep):
    person = _me(session, who)
    rows = session.scalars(select(Objection).where(Objection.practitioner_id == person.id).order_by(Objection.id))
    return [ObjectionView.model_validate(o, from_attributes=True) for o in rows]
