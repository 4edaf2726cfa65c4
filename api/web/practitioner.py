"""A practitioner's own pages: their record with its timeline, and objecting to one record."""
from datetime import date

from fastapi import APIRouter, Request
from sqlmodel import Session

from api.auth.tokens import Principal
from api.deps import IdPath, PolicyDep, ReadSessionDep, SessionDep, TodayDep
from api.errors import NotFound
from api.ledger import service as ledger
from api.people.service import file_objection
from api.people.view import person_view
from api.supervision.schemas import ObjectionIn
from api.web.auth import PagePractitionerDep
from api.web.forms import FormDep, FormErrors, form_state, parse, saved, submit_once, undo
from api.web.person import person_context
from api.web.render import page
from points import Policy
from points.errors import DomainError

router = APIRouter(prefix="/ui", include_in_schema=False)


@router.get("/me")
def me(request: Request, session: ReadSessionDep, who: PagePractitionerDep, policy: PolicyDep, today: TodayDep):
    view = person_view(session, ledger.get_practitioner(session, who.scope), policy, today)
    context = person_context(view, policy, today) | {"done": request.query_params.get("done"), "own": True}
    return page(request, "person.html", context, principal=who)


def _objection_page(request: Request, session: Session, who: Principal, record_id: int, policy: Policy,
                    today: date, form: dict | None = None, errors: dict | None = None, error=None, status: int = 200):
    view = person_view(session, ledger.get_practitioner(session, who.scope), policy, today)
    record = next((r for r in view.records if r.id == record_id), None)
    if record is None:
        raise NotFound(f"you have no record {record_id}", "RECORD_NOT_FOUND")
    return page(request, "objection.html", {"view": view, "record": record} | form_state(form, errors, error),
                status, principal=who)


@router.get("/me/records/{record_id}/objection")
def objection_form(request: Request, record_id: IdPath, session: ReadSessionDep, who: PagePractitionerDep,
                   policy: PolicyDep, today: TodayDep):
    return _objection_page(request, session, who, record_id, policy, today)


@router.post("/me/records/{record_id}/objection")
def object_to(request: Request, record_id: IdPath, form: FormDep, session: SessionDep, who: PagePractitionerDep,
              policy: PolicyDep, today: TodayDep):
    try:
        body = parse(ObjectionIn, form, record_id=record_id)
        person = ledger.get_practitioner(session, who.scope)
        replayed = submit_once(request, session, who, form, body,
                               lambda: file_objection(session, person, body, policy, actor=who.name))
    except (FormErrors, DomainError) as exc:
        errors, error, status = undo(session, exc)
        return _objection_page(request, session, who, record_id, policy, today, form, errors, error, status)
    return saved("/ui/me", replayed, "objected")
