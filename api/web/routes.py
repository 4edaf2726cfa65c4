"""Signing in and out, the language toggle, and the entry page that sends each role to its home."""
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse

from api.auth.tokens import Role
from api.errors import AppError
from api.web.auth import LANG_COOKIE, SESSION_COOKIE, PageUserDep, cookie_seconds, safe_next, sign_in
from api.web.forms import FormDep
from api.web.i18n import LANGUAGES
from api.web.render import page

router = APIRouter(prefix="/ui", include_in_schema=False)

HOME = {Role.SUPERVISOR: "/ui/people", Role.PRACTITIONER: "/ui/me"}


def _redirect(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=303)


@router.get("")
def home(who: PageUserDep):
    return _redirect(HOME.get(who.role, "/ui/login"))


@router.get("/login")
def login_form(request: Request, next: str = "/ui", reason: str = ""):
    return page(request, "login.html", {"next": safe_next(next), "reason": reason})


@router.post("/login")
def login(request: Request, form: FormDep):
    next_path = safe_next(form.get("next"))
    try:
        principal = sign_in(request, form.get("token", ""))
    except AppError as exc:
        return page(request, "login.html", {"next": next_path, "error": exc}, exc.status)
    response = _redirect(next_path if next_path != "/ui" else HOME[principal.role])
    response.set_cookie(SESSION_COOKIE, form["token"].strip(), max_age=cookie_seconds(principal), path="/ui",
                        httponly=True, samesite="lax", secure=request.url.scheme == "https")
    return response


@router.post("/logout")
def logout():
    response = _redirect("/ui/login")
    response.delete_cookie(SESSION_COOKIE, path="/ui")
    return response


@router.get("/lang")
def switch_language(to: Annotated[str, Query(pattern="^(zh|en)$")], next: str = "/ui"):
    response = _redirect(safe_next(next))
    response.set_cookie(LANG_COOKIE, to if to in LANGUAGES else "zh", max_age=365 * 86400, path="/ui",
                        samesite="lax")
    return response
