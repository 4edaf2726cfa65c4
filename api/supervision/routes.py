"""Supervisors (医保部门), scoped to their region: register, record, decide, review, repair, list, export."""
import csv
import io
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from api.access import ensure_can_view, ensure_region
from api.db.models import InstitutionCreate, InstitutionPublic, PointRecordPublic
from api.deps import MAX_ID, IdPath, PolicyDep, SessionDep, SupervisorDep, TodayDep
from api.idempotency import IdempotencyDep
from api.ledger import service as ledger
from api.ledger.schemas import RegistrationCreate, RepairCreate, SuspensionDecisionCreate
from api.people.schemas import ObjectionView, PersonView, StaffRow
from api.people.view import person_view
from api.practitioners.service import create_institution
from api.supervision import service
from api.supervision.schemas import CaseCreate, PractitionerRegister, RepairPublic, ReviewIn, ReviewPublic
from points import Status

router = APIRouter(prefix="/v1", tags=["supervision"])


@router.post("/institutions", response_model=InstitutionPublic, status_code=201)
def create_institution_route(body: InstitutionCreate, session: SessionDep, who: SupervisorDep, idem: IdempotencyDep):
    ensure_region(who, body.region, f"institution {body.code}")
    return idem.run(body, lambda: InstitutionPublic.model_validate(create_institution(session, who.name, body),
                                                                   from_attributes=True))


@router.post("/practitioners", response_model=PersonView, status_code=201,
             summary="Register (登记备案) a practitioner at an institution; creates the person if new")
def register_practitioner(body: PractitionerRegister, session: SessionDep, who: SupervisorDep, policy: PolicyDep,
                          today: TodayDep, idem: IdempotencyDep):
    return idem.run(body, lambda: person_view(
        session, service.register_practitioner(session, who, body, policy, today), policy, today))


@router.post("/registrations", response_model=PersonView, status_code=201,
             summary="Another registration of a known practitioner (多点执业)")
def add_registration(body: RegistrationCreate, session: SessionDep, who: SupervisorDep, policy: PolicyDep,
                     today: TodayDep, idem: IdempotencyDep):
    def run():
        ensure_region(who, ledger.get_institution(session, body.institution_code).region, "the institution")
        ledger.register(session, who.name, body, policy, today)
        return person_view(session, ledger.get_practitioner(session, body.practitioner_code), policy, today)

    return idem.run(body, run)


@router.get("/practitioners", response_model=list[StaffRow], summary="People in your region, by status")
def list_practitioners(session: SessionDep, who: SupervisorDep, policy: PolicyDep, today: TodayDep,
                       status: Status | None = None, offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
                       limit: Annotated[int, Query(ge=1, le=1000)] = 100):
    return [StaffRow(code=p.code, name=p.name, category=p.category, region=p.region, status=p.status,
                     until=p.status_until, status_as_of=p.status_as_of)
            for p in service.list_people(session, who, policy, today, status, offset, limit)]


@router.get("/practitioners/export.csv", summary="CSV export of people in your region, by status",
            response_class=StreamingResponse, responses={200: {"content": {"text/csv": {}}}})
def export_practitioners(session: SessionDep, who: SupervisorDep, policy: PolicyDep, today: TodayDep,
                         status: Status | None = None):
    people = service.list_people(session, who, policy, today, status, 0, None)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["code", "name", "category", "region", "status", "until", "as_of"])
    for p in people:
        writer.writerow([p.code, p.name, p.category, p.region, p.status, p.status_until or "", p.status_as_of])
    data = "\ufeff" + buffer.getvalue()  # BOM: spreadsheet programs read the Chinese names right
    return StreamingResponse(iter([data]), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="practitioners-{status or "all"}-{today}.csv"'})


@router.post("/cases", response_model=list[PointRecordPublic], status_code=201,
             summary="Record points: one decision, a record per responsible person")
def record_case(body: CaseCreate, session: SessionDep, who: SupervisorDep, policy: PolicyDep, today: TodayDep,
                idem: IdempotencyDep):
    def run():
        return [PointRecordPublic(**r.model_dump(), practitioner_code=p.practitioner_code,
                                  institution_code=body.institution_code.upper())
                for r, p in zip(service.record_case(session, who, body, policy, today), body.people)]

    return idem.run(body, run)


@router.post("/records/{record_id}/reviews", response_model=ReviewPublic, status_code=201,
             summary="Review a record (after an objection or on appeal): confirm, change the points, or annul")
def review_record(record_id: IdPath, body: ReviewIn, session: SessionDep, who: SupervisorDep, policy: PolicyDep,
                  today: TodayDep, idem: IdempotencyDep):
    def run():
        row, closed, person = service.review(session, who, record_id, body, policy, today)
        return ReviewPublic(**row.model_dump(), objections_closed=closed, status=person.status)

    return idem.run(body, run)


@router.post("/practitioners/{code}/suspension-decisions", response_model=PersonView, status_code=201,
             summary="Decide the length (1–6 months) of a suspension triggered at 9 points")
def decide_suspension(code: str, body: SuspensionDecisionCreate, session: SessionDep, who: SupervisorDep,
                      policy: PolicyDep, today: TodayDep, idem: IdempotencyDep):
    def run():
        person = ledger.get_practitioner(session, code)
        ensure_can_view(session, who, person)
        ledger.decide_suspension(session, who.name, code, body, policy, today)
        return person_view(session, person, policy, today)

    return idem.run(body, run)


@router.post("/practitioners/{code}/repairs", response_model=RepairPublic, status_code=201,
             summary="Record a repair credit (记分修复) for a valid activity")
def add_repair(code: str, body: RepairCreate, session: SessionDep, who: SupervisorDep, policy: PolicyDep,
               today: TodayDep, idem: IdempotencyDep):
    def run():
        person = ledger.get_practitioner(session, code)
        ensure_can_view(session, who, person)
        row = ledger.add_repair(session, who.name, code, body, policy, today)
        view = person_view(session, person, policy, today)
        return RepairPublic(id=row.id, activity_date=row.activity_date, activity=row.activity,
                            points_this_year=view.points_this_year, repair_left_this_year=view.repair_left_this_year,
                            status=view.status)

    return idem.run(body, run)


@router.get("/objections", response_model=list[ObjectionView], summary="Objections to review, in your region")
def list_objections(session: SessionDep, who: SupervisorDep, state: str = "open",
                    limit: Annotated[int, Query(ge=1, le=1000)] = 100):
    return [ObjectionView.model_validate(o, from_attributes=True)
            for o in service.objections(session, who, state, limit)]
