"""Supervisors (医保部门), scoped to their region: register, record, decide, review, repair, list, export."""
from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from api.db.models import InstitutionCreate, InstitutionPublic, PointRecordPublic
from api.deps import IdPath, PolicyDep, SessionDep, SupervisorDep, TodayDep, engine_of
from api.idempotency import IdempotencyDep
from api.ledger import service as ledger
from api.ledger.schemas import RegistrationCreate, RegistrationEnd, RepairCreate, SuspensionDecisionCreate
from api.pagination import CursorQuery, LimitQuery, Page, decode_cursor, paged
from api.people.schemas import ObjectionView, PersonView, StaffRow
from api.people.view import person_view
from api.supervision import export, service
from api.supervision.schemas import CaseCreate, PractitionerRegister, RepairPublic, ReviewIn, ReviewPublic
from points import Status

router = APIRouter(prefix="/v1", tags=["supervision"])


@router.post("/institutions", response_model=InstitutionPublic, status_code=201,
             summary="Register a designated institution or pharmacy (定点医药机构) in your region",
             description="登记定点医疗机构或定点零售药店。The region must be the one its code names and lie within "
                         "your scope.")
def create_institution_route(body: InstitutionCreate, session: SessionDep, who: SupervisorDep, idem: IdempotencyDep):
    return idem.run(body, lambda: InstitutionPublic.model_validate(
        service.create_institution_in_scope(session, who, body), from_attributes=True))


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
    return idem.run(body, lambda: person_view(
        session, service.add_registration(session, who, body, policy, today), policy, today))


@router.post("/registrations/{registration_id}/end", response_model=PersonView,
             summary="End a registration (注销; 变更 = an end plus a new registration): last day and reason")
def end_registration(registration_id: IdPath, body: RegistrationEnd, session: SessionDep, who: SupervisorDep,
                     policy: PolicyDep, today: TodayDep, idem: IdempotencyDep):
    return idem.run(body, lambda: person_view(
        session, service.end_registration(session, who, registration_id, body, policy, today), policy, today), 200)


@router.get("/practitioners", response_model=Page[StaffRow],
            summary="People in your region, by status, a page at a time")
def list_practitioners(request: Request, session: SessionDep, who: SupervisorDep, policy: PolicyDep,
                       today: TodayDep, status: Status | None = None, limit: LimitQuery = 100,
                       cursor: CursorQuery = None):
    filters = {"list": "practitioners", "status": status}
    after = decode_cursor(cursor, filters, shape=(str,))
    service.bring_statuses_up_to_date(session, policy, today)
    rows, next_cursor = paged(service.people_page(session, who, status, after, limit), limit,
                              lambda r: (r.code,), filters)
    items = [StaffRow(code=p.code, name=p.name, category=p.category, region=p.region, status=p.status,
                      until=p.status_until, status_as_of=p.status_as_of) for p in rows]
    return Page[StaffRow].of(request, items, next_cursor)  # no total: a region may hold millions of people


@router.get("/practitioners/export.csv", summary="CSV export of people in your region, by status (streamed)",
            response_class=StreamingResponse, responses={200: {"content": {"text/csv": {}}}})
def export_practitioners(request: Request, session: SessionDep, who: SupervisorDep, policy: PolicyDep,
                         today: TodayDep, status: Status | None = None):
    service.bring_statuses_up_to_date(session, policy, today)  # committed before the first row is sent
    chunks = export.csv_chunks(engine_of(request), who, status)
    return StreamingResponse(export.taking_turns(request.app.state, chunks), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition":
                                      f'attachment; filename="practitioners-{status or "all"}-{today}.csv"'})


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
        service.decide_suspension(session, who, code, body, policy, today)
        return person_view(session, ledger.get_practitioner(session, code), policy, today)

    return idem.run(body, run)


@router.post("/practitioners/{code}/repairs", response_model=RepairPublic, status_code=201,
             summary="Record a repair credit (记分修复) for a valid activity")
def add_repair(code: str, body: RepairCreate, session: SessionDep, who: SupervisorDep, policy: PolicyDep,
               today: TodayDep, idem: IdempotencyDep):
    def run():
        row = service.add_repair(session, who, code, body, policy, today)
        person = ledger.get_practitioner(session, code)
        year = ledger.timeline_of(session, person, policy).years[row.activity_date.year]  # the activity's year
        cap = policy.parameters(row.authority_region, row.activity_date).repair_cap_per_year  # the granter's
        return RepairPublic(id=row.id, activity_date=row.activity_date, activity=row.activity, year=year.year,
                            points_in_year=year.net, repair_left_in_year=max(0, cap - year.repaired),
                            status=person.status)

    return idem.run(body, run)


@router.get("/objections", response_model=Page[ObjectionView], summary="Objections to review, in your region")
def list_objections(request: Request, session: SessionDep, who: SupervisorDep, state: str = "open",
                    limit: LimitQuery = 100, cursor: CursorQuery = None):
    filters = {"list": "objections", "state": state}
    rows, next_cursor = paged(service.objections(session, who, state, decode_cursor(cursor, filters), limit), limit,
                              lambda r: (r.id,), filters)
    return Page[ObjectionView].of(request, [ObjectionView.model_validate(o, from_attributes=True) for o in rows],
                                  next_cursor, service.count_objections(session, who, state))
