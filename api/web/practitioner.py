"""A practitioner's own pages: their record with its timeline, and objecting to one record."""
from datetime import date

from fastapi import APIRouter, Request
from sqlmodel import Session

from api.auth.tokens import Principal
from api.deps import IdPath, PolicyDep, ReadSessionDep, SessionDep, TodayDep
from api.errors import NotFound
from api.evidence.service import attach
from api.ledger import service as ledger
from api.people.service import file_objection
from api.people.view import person_view
from api.supervision.schemas import ObjectionIn
from api.web.auth import PagePractitionerDep
from api.web.evidence import EvidenceFormDep, evidence_context, limits_of
from api.web.forms import FormErrors, form_state, parse, saved, submit_once, undo
from api.web.letters import sanction_ids
from api.web.names import person_institution_names
from api.web.person import person_context
from api.web.render import page
from api.web.upcoming import phone_context
from points import Policy
from points.errors import DomainError

router = APIRouter(prefix="/ui", include_in_schema=False)


@router.get("/me")
def me(request: Request, session: ReadSessionDep, who: PagePractitionerDep, policy: PolicyDep, today: TodayDep):
    person = ledger.get_practitioner(session, who.scope)
    view = person_view(session, person, policy, today)
    context = person_context(view, policy, today) | {"done": request.query_params.get("done"), "own": True}
    context |= phone_context(session, person, view, policy, today, context["done"], own=True)
    context["institution_names"] = person_institution_names(session, view)
    context |= evidence_context(session, view)  # the person's own files, with their objections
    context["sanction_ids"] = sanction_ids(session, person.id)  # each sanction's letter
    return page(request, "person.html", context, principal=who)


def _objection_page(request: Request, session: Session, who: Principal, record_id: int, policy: Policy,
                    today: date, form: dict | None = None, errors: dict | None = None, error=None, status: int = 200):
    view = person_view(session, ledger.get_practitioner(session, who.scope), policy, today)
    record = next((r for r in view.records if r.id == record_id), None)
    if record is None:
        raise NotFound(f"you have no record {record_id}", "RECORD_NOT_FOUND")
    return page(request, "objection.html", {"view": view, "record": record, "limits": limits_of(request),
                                          "display_name": view.name, "today": today,
                                          "deadline": record.objection_deadline}
                | form_state(form, errors, error), status, principal=who)


@router.get("/me/records/{record_id}/objection")
def objection_form(request: Request, record_id: IdPath, session: ReadSessionDep, who: PagePractitionerDep,
                   policy: PolicyDep, today: TodayDep):
    return _objection_page(request, session, who, record_id, policy, today)


@router.post("/me/records/{record_id}/objection")
def object_to(request: Request, record_id: IdPath, who: PagePractitionerDep, sent: EvidenceFormDep,
              session: SessionDep, policy: PolicyDep, today: TodayDep):  # signed in before the body is read
    """The objection and its evidence files are saved together, or neither (a refused file keeps the text)."""
    form = sent.fields
    try:
        body = parse(ObjectionIn, form, record_id=record_id)
        person = ledger.get_practitioner(session, who.scope)
        replayed = submit_once(request, session, who, form, body, lambda: attach(
            session, file_objection(session, person, body, policy, actor=who.name, today=today), sent.uploads,
            limits_of(request), who.name))
    except (FormErrors, DomainError) as exc:
        errors, error, status = undo(session, exc)
        return _objection_page(request, session, who, record_id, policy, today, form, errors, error, status)
    return saved("/ui/me", replayed, "objected")
