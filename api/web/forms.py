"""HTML forms: read them, validate them with the API's own request models (so the pages and the API enforce
the same limits), and submit each form once: its hidden key is the Idempotency-Key."""
import uuid
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ValidationError
from sqlmodel import Session

from api.auth.tokens import Principal
from api.idempotency import Idempotency
from api.web.auth import check_csrf
from points.privacy import mask_id_numbers

Model = TypeVar("Model", bound=BaseModel)
MAX_FIELDS = 50


UNMASKED = ("token", "csrf")  # checked by the server, never stored or shown


async def read_form(request: Request) -> dict[str, str]:
    """String fields, with national ID numbers masked (whatever is saved or shown again is masked)."""
    form = await request.form(max_files=0, max_fields=MAX_FIELDS)
    return {k: v if k in UNMASKED else mask_id_numbers(v) for k, v in form.items() if isinstance(v, str)}


FormDep = Annotated[dict[str, str], Depends(read_form)]


class FieldError(str):
    """A field's message (Pydantic's, in English) that the page shows in its language: `code` is the Pydantic
    error type (a bad date's is its error code), `ctx` its specifics (api/web/texts/errors.py)."""

    def __new__(cls, message: str, code: str, ctx: dict | None = None):
        self = super().__new__(cls, message)
        self.code, self.ctx = code, ctx or {}
        return self


class FormErrors(Exception):
    """Field name -> message; the form is shown again with what was typed."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors


def parse(model: type[Model], form: dict[str, str], **extra: Any) -> Model:
    """Empty fields count as absent, so defaults apply and required ones say so."""
    data = {k: v.strip() for k, v in form.items() if v.strip() and k in model.model_fields}
    try:
        return model.model_validate({**data, **extra})
    except ValidationError as exc:
        errors = {}
        for e in exc.errors():  # ("people", 0, "points") is the form's "points" field
            field = next((str(part) for part in reversed(e["loc"]) if isinstance(part, str)), "form")
            errors.setdefault(field, FieldError(e["msg"], e["type"], e.get("ctx")))
        raise FormErrors(errors) from exc


def submit_once(request: Request, session: Session, principal: Principal, form: dict[str, str],
                payload: BaseModel, produce: Callable[[], Any]) -> bool:
    """Runs `produce` unless this form (its hidden `form_key`) was already submitted; True on a replay."""
    check_csrf(request, form)
    key = form.get("form_key", "")[:100]
    idem = Idempotency(session, principal.id, f"form:{key}" if key else None, request.url.path)

    def run() -> dict:
        produce()
        return {"done": True}

    response = idem.run(payload, run)
    return response.headers.get("Idempotent-Replayed") == "true"


def form_state(form: dict | None, errors: dict | None, error, defaults: dict | None = None) -> dict:
    """What a form template needs: the values (as typed, or the defaults), field errors, the error, and the
    form's key (kept across a refused submission, so the corrected one still saves once)."""
    form = form or defaults or {}
    return {"form": form, "errors": errors or {}, "error": error, "form_key": form.get("form_key") or uuid.uuid4().hex}


def saved(location: str, replayed: bool, outcome: str) -> RedirectResponse:
    """Post/redirect/get: the next page says what was saved, or that this form had been saved before."""
    return RedirectResponse(f"{location}?done={'replayed' if replayed else outcome}", status_code=303)


def undo(session: Session, exc: Exception) -> tuple[dict[str, str], Exception | None, int]:
    """Roll back whatever the failed form wrote; return (field errors, error, status) to show the form again."""
    session.rollback()
    if isinstance(exc, FormErrors):
        return exc.errors, None, 422
    return {}, exc, getattr(exc, "status", 422)
