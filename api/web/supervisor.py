"""Supervisor pages: see a person's timeline, record points, decide a suspension, review objections (the lists
are in api/web/lists.py). Each form goes through the same service functions as the API; a rule the form breaks
shows the form again."""
import uuid
from datetime import date

from fastapi import APIRouter, Request
from sqlmodel import Session

from api.auth.tokens import Principal
from api.authz.scope import get_visible_practitioner, get_visible_record
from api.deps import IdPath, PolicyDep, ReadSessionDep, SessionDep, TodayDep
from api.errors import Conflict
from api.ledger.schemas import RegistrationEnd, SuspensionDecisionCreate
from api.ledger.service import effective_points_of
from api.people.view import person_view
from api.supervision import service
from api.supervision.schemas import CaseCreate, ReviewIn
from api.web.auth import PageSupervisorDep
from api.web.evidence import evidence_context
from api.web.forms import FormDep, FormErrors, form_state, parse, saved, submit_once, undo
from api.web.history import history_for
from api.web.letters import sanction_ids
from api.web.names import person_institution_names
from api.web.person import person_context
from api.web.render import page
from api.web.upcoming import phone_context
from points import Policy
from points.errors import DomainError

router = APIRouter(prefix="/ui", include_in_schema=False)


def _person_page(request: Request, session: Session, who: Principal, code: str, policy: Policy, today: date,
                 status: int = 200, **extra):
    person = get_visible_practitioner(session, who, code)
    view = person_view(session, person, policy, today)
    context = person_context(view, policy, today) | {"institution_names": person_institution_names(session, view)}
    context |= phone_context(session, person, view, policy, today, request.query_params.get("done"), own=False)
    context |= history_for(request, session, person.code) | {"sanction_ids": sanction_ids(session, person.id)}
    context |= evidence_context(session, view)  # whoever sees the person sees the objections' files
    # offer only what this supervisor's authority may change: its own region's records and their suspensions
    changeable = {r.id for r in view.records if who.covers_region(r.authority_region)}
    context |= {"changeable": changeable, "form_key": uuid.uuid4().hex, "done": request.query_params.get("done"),
                "decidable": [s for s in context["decidable"] if s.trigger_record_id in changeable],
                "endable": {r.id for r in view.registrations  # open, at an institution of this region
                            if r.ends_on is None and who.covers_region(r.institution_code[1:7])}}
    return page(request, "person.html", context | extra, status, principal=who)


@router.get("/people/{code}")
def person(request: Request, code: str, session: ReadSessionDep, who: PageSupervisorDep, policy: PolicyDep,
           today: TodayDep):
    return _person_page(request, session, who, code, policy, today)


def _record_page(request: Request, session: Session, who: Principal, code: str, policy: Policy, today: date,
                 form: dict | None = None, errors: dict | None = None, error=None, status: int = 200):
    person = get_visible_practitioner(session, who, code)
    view = person_view(session, person, policy, today)
    defaults = {"decision_date": today.isoformat(), "authority": who.name, "responsibility": "main",
                "institution_code": next((r.institution_code for r in view.registrations
                                          if r.ends_on is None and who.covers_region(r.institution_code[1:7])), "")}
    return page(request, "record.html", {"view": view, "violations": policy.catalogue(person.region, today),
                                         "institution_names": person_institution_names(session, view)}
                | form_state(form, errors, error, defaults), status, principal=who)


@router.get("/people/{code}/record")
def record_form(request: Request, code: str, session: ReadSessionDep, who: PageSupervisorDep, policy: PolicyDep,
                today: TodayDep):
    return _record_page(request, session, who, code, policy, today)


@router.post("/people/{code}/record")
def record(request: Request, code: str, form: FormDep, session: SessionDep, who: PageSupervisorDep,
           policy: PolicyDep, today: TodayDep):
    try:
        person = {k: form[k].strip() for k in ("points", "responsibility") if form.get(k, "").strip()}
        case = parse(CaseCreate, form, people=[{**person, "practitioner_code": code}])
        replayed = submit_once(request, session, who, form, case,
                               lambda: service.record_case(session, who, case, policy, today))
    except (FormErrors, DomainError) as exc:
        errors, error, status = undo(session, exc)
        return _record_page(request, session, who, code, policy, today, form, errors, error, status)
    return saved(f"/ui/people/{code}", replayed, "recorded")


@router.post("/people/{code}/suspension-decisions")
def decide(request: Request, code: str, form: FormDep, session: SessionDep, who: PageSupervisorDep,
           policy: PolicyDep, today: TodayDep):
    try:
        decision = parse(SuspensionDecisionCreate, form)
        replayed = submit_once(request, session, who, form, decision,
                               lambda: service.decide_suspension(session, who, code, decision, policy, today))
    except (FormErrors, DomainError) as exc:
        errors, error, status = undo(session, exc)
        return _person_page(request, session, who, code, policy, today, status, decide_form=form,
                            decide_trigger=form.get("trigger_record_id", "").strip(), decide_errors=errors,
                            error=error)
    return saved(f"/ui/people/{code}", replayed, "decided")


@router.post("/people/{code}/registrations/{registration_id}/end")
def end_registration(request: Request, code: str, registration_id: IdPath, form: FormDep, session: SessionDep,
                     who: PageSupervisorDep, policy: PolicyDep, today: TodayDep):
    try:
        data = parse(RegistrationEnd, form)
        replayed = submit_once(request, session, who, form, data, lambda: service.end_registration(
            session, who, registration_id, data, policy, today, person_code=code))
    except (FormErrors, DomainError) as exc:
        errors, error, status = undo(session, exc)
        return _person_page(request, session, who, code, policy, today, status, end_form=form,
                            end_id=registration_id, end_errors=errors, error=error)
    return saved(f"/ui/people/{code}", replayed, "ended")


def _review_page(request: Request, session: Session, who: Principal, record_id: int, policy: Policy, today: date,
                 form: dict | None = None, errors: dict | None = None, error=None, status: int = 200):
    record, person = get_visible_record(session, who, record_id)
    view = person_view(session, person, policy, today)
    shown = next(r for r in view.records if r.id == record.id)
    if shown.annulled:  # an annulled record offers no review (the API still takes a correction naming it)
        raise annulled(record.id)
    violation = policy.violation(record.violation_code, person.region, record.decision_date)
    return page(request, "review.html", {"view": view, "record": shown, "band": (violation.low, violation.high)}
                | evidence_context(session, view)
                | form_state(form, errors, error, {"decided_on": today.isoformat(), "outcome": "confirm"}),
                status, principal=who)


def annulled(record_id: int) -> Conflict:
    return Conflict(f"record {record_id} is annulled: it takes no further review here", "RECORD_ANNULLED",
                    record=record_id)


def _review_unless_annulled(session: Session, who: Principal, record_id: int, data: ReviewIn, policy: Policy,
                            today: date):
    record, person = get_visible_record(session, who, record_id)
    if effective_points_of(session, person, policy, record.id) == 0:  # only an annulment leaves 0 points
        raise annulled(record.id)
    return service.review(session, who, record_id, data, policy, today)


@router.get("/records/{record_id}/review")
def review_form(request: Request, record_id: IdPath, session: ReadSessionDep, who: PageSupervisorDep,
                policy: PolicyDep, today: TodayDep):
    return _review_page(request, session, who, record_id, policy, today)


@router.post("/records/{record_id}/review")
def review(request: Request, record_id: IdPath, form: FormDep, session: SessionDep, who: PageSupervisorDep,
           policy: PolicyDep, today: TodayDep):
    try:
        data = parse(ReviewIn, form)
        replayed = submit_once(request, session, who, form, data,
                               lambda: _review_unless_annulled(session, who, record_id, data, policy, today))
        _, person = get_visible_record(session, who, record_id)
    except (FormErrors, DomainError) as exc:
        errors, error, status = undo(session, exc)
        return _review_page(request, session, who, record_id, policy, today, form, errors, error, status)
    return saved(f"/ui/people/{person.code}", replayed, "reviewed")
