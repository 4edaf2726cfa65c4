"""Signing in and out, the language toggle, and the entry page that sends each role to its home."""
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse

from api.auth.sessions import end_session, find_session, start_session
from api.auth.tokens import Role
from api.deps import SessionDep
from api.errors import AppError
from api.web.auth import (
    LANG_COOKIE,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    PageUserDep,
    check_csrf,
    check_login_csrf,
    cookie_seconds,
    drop_page_cookie,
    login_cookie,
    login_csrf,
    safe_next,
    set_page_cookie,
    sign_in,
)
from api.web.forms import FormDep
from api.web.i18n import LANGUAGES
from api.web.render import page

router = APIRouter(prefix="/ui", include_in_schema=False)

HOME = {Role.SUPERVISOR: "/ui/people", Role.PRACTITIONER: "/ui/me", Role.INSTITUTION: "/ui/institution"}


def _redirect(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=303)


@router.get("")
def home(who: PageUserDep):
    return _redirect(HOME.get(who.role, "/ui/login"))


def _login_page(request: Request, context: dict, status: int = 200):
    """The login form with its CSRF echo; sets the pre-session cookie if the browser has none."""
    cookie, fresh = login_cookie(request)
    response = page(request, "login.html", {**context, "csrf": login_csrf(request, cookie)}, status)
    if fresh:
        set_page_cookie(response, request, LOGIN_CSRF_COOKIE, cookie, samesite="strict")
    return response


@router.get("/login")
def login_form(request: Request, next: str = "/ui", reason: str = ""):
    return _login_page(request, {"next": safe_next(next), "reason": reason})


@router.post("/login")
def login(request: Request, form: FormDep, session: SessionDep):
    next_path = safe_next(form.get("next"))
    try:
        check_login_csrf(request, form)
        principal = sign_in(request, form.get("token", ""))
    except AppError as exc:
        return _login_page(request, {"next": next_path, "error": exc}, exc.status)
    now = request.app.state.now()
    previous = find_session(session, request.cookies.get(SESSION_COOKIE))
    if previous is not None:
        end_session(session, previous.id, "replaced", now)
    cookie = start_session(session, principal, now)
    response = _redirect(next_path if next_path != "/ui" else HOME[principal.role])
    set_page_cookie(response, request, SESSION_COOKIE, cookie, max_age=cookie_seconds(request, principal))
    return response


@router.post("/logout")
def logout(request: Request, form: FormDep, session: SessionDep):
    """Ends the session for good (its cookie no longer signs in anywhere). Without a session there is nothing
    to end: back to the login page."""
    current = find_session(session, request.cookies.get(SESSION_COOKIE))
    if current is not None:
        check_csrf(request, form, current.id)
        end_session(session, current.id, "logout", request.app.state.now())
    response = _redirect("/ui/login")
    drop_page_cookie(response, request, SESSION_COOKIE)
    return response


@router.get("/lang")
def switch_language(to: Annotated[str, Query(pattern="^(zh|en)$")], next: str = "/ui"):
    response = _redirect(safe_next(next))
    response.set_cookie(LANG_COOKIE, to if to in LANGUAGES else "zh", max_age=365 * 86400, path="/ui",
                        samesite="lax")
    return response
