"""Views of people: a person's own record (/v1/me), an institution's staff, and objections."""
from fastapi import APIRouter, Request
from sqlalchemy import select

from api.audit_history import HistoryItem, count_history, person_history
from api.auth.tokens import Principal
from api.authz.scope import get_visible_institution, get_visible_practitioner
from api.db.models import Objection, Practitioner
from api.deps import (
    PolicyDep,
    PractitionerDep,
    ReadSessionDep,
    SessionDep,
    StaffViewerDep,
    SupervisorDep,
    TodayDep,
)
from api.idempotency import IdempotencyDep
from api.ledger import service as ledger
from api.pagination import CursorQuery, LimitQuery, Page, count, decode_cursor, keyset, paged
from api.people.schemas import ObjectionView, PersonView, StaffRow
from api.people.service import file_objection
from api.people.staff import count_staff, staff_page, statuses_on
from api.people.view import person_view
from api.supervision.schemas import ObjectionIn

router = APIRouter(prefix="/v1", tags=["people"])


@router.get("/practitioners/{code}", response_model=PersonView,
            summary="One person's record: points, sanctions, reviews (a supervisor of the region, or their institution)")
def get_practitioner(code: str, session: ReadSessionDep, who: StaffViewerDep, policy: PolicyDep, today: TodayDep):
    return person_view(session, get_visible_practitioner(session, who, code), policy, today)


@router.get("/practitioners/{code}/history", response_model=Page[HistoryItem],
            summary="Who changed this person's record, when, why, and before → after; newest first")
def practitioner_history(request: Request, code: str, session: ReadSessionDep, who: SupervisorDep,
                         limit: LimitQuery = 100, cursor: CursorQuery = None):
    person = get_visible_practitioner(session, who, code)  # the same visibility as GET /practitioners/{code}
    items, next_cursor = person_history(session, person.code, limit, cursor)
    return Page[HistoryItem].of(request, items, next_cursor, count_history(session, person.code))


@router.get("/institutions/{code}/staff", response_model=Page[StaffRow],
            summary="An institution's registered staff with today's status, a page at a time")
def institution_staff(request: Request, code: str, session: ReadSessionDep, who: StaffViewerDep, today: TodayDep,
                      limit: LimitQuery = 100, cursor: CursorQuery = None):
    institution = get_visible_institution(session, who, code)
    filters = {"list": "staff", "institution": institution.code}
    people, next_cursor = paged(staff_page(session, institution.id, decode_cursor(cursor, filters), limit), limit,
                                lambda p: (p.id,), filters)
    statuses = statuses_on(session, request.app.state.live.snapshot, [p.code for p in people], today)
    return Page[StaffRow].of(request, [StaffRow(code=p.code, name=p.name, category=p.category, region=p.region,
                                                status=statuses[p.code][0], until=statuses[p.code][1],
                                                status_as_of=today) for p in people],
                             next_cursor, count_staff(session, institution.id))


def _me(session, who: Principal) -> Practitioner:
    return ledger.get_practitioner(session, who.scope)


@router.get("/me", response_model=PersonView, tags=["practitioners"],
            summary="My record: this year's points, every record with its reason, status, return date, repair left")
def me(session: ReadSessionDep, who: PractitionerDep, policy: PolicyDep, today: TodayDep):
    return person_view(session, _me(session, who), policy, today)


@router.get("/me/history", response_model=Page[HistoryItem], tags=["practitioners"],
            summary="Who changed my record, when, why, and before → after; newest first")
def my_history(request: Request, session: ReadSessionDep, who: PractitionerDep, limit: LimitQuery = 100,
               cursor: CursorQuery = None):
    code = _me(session, who).code
    items, next_cursor = person_history(session, code, limit, cursor)
    return Page[HistoryItem].of(request, items, next_cursor, count_history(session, code))


@router.post("/me/objections", response_model=ObjectionView, status_code=201, tags=["practitioners"],
             summary="Object to one of my records (异议申诉); a supervisor reviews it")
def object_to_record(body: ObjectionIn, session: SessionDep, who: PractitionerDep, policy: PolicyDep,
                     idem: IdempotencyDep, today: TodayDep):
    def run():
        row = file_objection(session, _me(session, who), body, policy, actor=who.name, today=today)
        return ObjectionView.model_validate(row, from_attributes=True)

    return idem.run(body, run)


@router.get("/me/objections", response_model=Page[ObjectionView], tags=["practitioners"],
            summary="My objections, oldest first")
def my_objections(request: Request, session: ReadSessionDep, who: PractitionerDep, limit: LimitQuery = 100,
                  cursor: CursorQuery = None):
    person, filters = _me(session, who), {"list": "my-objections"}
    query = select(Objection).where(Objection.practitioner_id == person.id)
    rows, next_cursor = paged(session.scalars(keyset(query, [Objection.id], decode_cursor(cursor, filters), limit))
                              .all(), limit, lambda o: (o.id,), filters)
    return Page[ObjectionView].of(request, [ObjectionView.model_validate(o, from_attributes=True) for o in rows],
                                  next_cursor, count(session, select(Objection.id)
                                                     .where(Objection.practitioner_id == person.id)))
