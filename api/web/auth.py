"""Signing in to the pages. The login form checks an API token once and starts a server-side session
(api/auth/sessions.py); the cookie holds only the session's random value. Every form carries a CSRF token: the
login form one tied to a pre-session cookie, the others one derived from the session."""
import hashlib
import hmac
import ipaddress
import secrets
from datetime import timedelta
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request
from fastapi.responses import Response

from api.auth.service import app_signing_key
from api.auth.sessions import (
    end_session,
    find_session,
    needs_touch,
    principal_of,
    session_csrf,
    touch,
    why_over,
)
from api.auth.tokens import Principal, Role
from api.db.engine import unit_of_work
from api.deps import authenticate_state, check_role
from api.errors import Forbidden
from api.live import app_engine, read_session
from api.request_log import note_actor

SESSION_COOKIE = "points_session"
LOGIN_CSRF_COOKIE = "points_login_csrf"
LANG_COOKIE = "points_lang"
PAGE_ROLES = (Role.SUPERVISOR, Role.PRACTITIONER, Role.INSTITUTION)


class LoginRequired(Exception):
    """A page needs a signed-in user; answered by a redirect to the login page."""

    def __init__(self, next_path: str, reason: str = ""):
        self.next_path, self.reason = next_path, reason

    def location(self) -> str:
        return f"/ui/login?next={quote(self.next_path, safe='/')}" + (f"&reason={self.reason}" if self.reason else "")


def path_with_query(url) -> str:
    """A request's URL or a parsed Referer, as a path on this site."""
    return url.path + (f"?{url.query}" if url.query else "")


def safe_next(path: str | None, default: str = "/ui") -> str:
    """Only our own pages: an absolute path under /ui, never another host."""
    if path and path.startswith("/ui") and not path.startswith("//") and "\\" not in path:
        return path
    return default


# --- cookies ---------------------------------------------------------------------------------------------------

def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def secure_cookies(request: Request) -> bool:
    """POINTS_COOKIE_SECURE; auto: on, except over plain HTTP to a loopback host (a developer's machine)."""
    setting = request.app.state.settings.cookie_secure
    if setting != "auto":
        return bool(setting)
    return request.url.scheme == "https" or not is_loopback(request.url.hostname or "")


def set_page_cookie(response: Response, request: Request, name: str, value: str, max_age: int | None = None,
                    samesite: str = "lax") -> None:
    response.set_cookie(name, value, max_age=max_age, path="/ui", httponly=True, samesite=samesite,
                        secure=secure_cookies(request))


def drop_page_cookie(response: Response, request: Request, name: str) -> None:
    response.delete_cookie(name, path="/ui", httponly=True, secure=secure_cookies(request))


# --- CSRF ------------------------------------------------------------------------------------------------------

def _require(form: dict[str, str], expected: str) -> None:
    if not (expected and hmac.compare_digest(form.get("csrf", "").encode(), expected.encode())):
        raise Forbidden("the form expired or came from another site; reload the page and try again", "CSRF_FAILED")


def login_cookie(request: Request) -> tuple[str, bool]:
    """The browser's pre-session CSRF cookie, or a new one (then True: it must be set)."""
    value = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if 32 <= len(value) <= 64:
        return value, False
    return secrets.token_urlsafe(32), True


def login_csrf(request: Request, cookie: str) -> str:
    """What the login form echoes: keyed from the cookie, so the cookie itself never appears in a page."""
    key = app_signing_key(request.app.state)
    return hmac.new(key, f"login:{cookie}".encode(), hashlib.sha256).hexdigest()[:32]


def check_login_csrf(request: Request, form: dict[str, str]) -> None:
    """Another site cannot post the login form: it has neither the SameSite=Strict cookie nor its echo."""
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    _require(form, login_csrf(request, cookie) if cookie else "")


def page_csrf(request: Request, session_id: str | None = None) -> str:
    """The CSRF token of a session's forms (by default the signed-in one; '' outside a session)."""
    session_id = session_id or getattr(request.state, "page_session", None)
    return session_csrf(app_signing_key(request.app.state), session_id) if session_id else ""


def check_csrf(request: Request, form: dict[str, str], session_id: str | None = None) -> None:
    _require(form, page_csrf(request, session_id))


# --- the signed-in user ----------------------------------------------------------------------------------------

def sign_in(request: Request, token: str) -> Principal:
    """Checks a pasted token like any API request would; only roles the pages serve."""
    principal = authenticate_state(request.app.state, token.strip())
    if principal.role not in PAGE_ROLES:
        raise Forbidden("this kind of token uses the API", "ROLE_NOT_SERVED")
    return principal


def cookie_seconds(request: Request, principal: Principal) -> int:
    """The cookie lasts until the token expires: the session's absolute cap."""
    return max(int((principal.expires_at - request.app.state.now()).total_seconds()), 0)


def page_principal(request: Request) -> Principal:
    """The session the cookie names, if it is live: one primary-key read, and a write only when the session ends
    here or its last_seen_at is a minute old, each in a short session of its own. They run before the route's own
    session takes its connection (sessions take theirs at their first query), so a page holds one at a time."""
    here = path_with_query(request.url)
    if request.method != "GET":  # after signing in again, back to the page that held the form
        here = path_with_query(urlsplit(request.headers.get("referer", "")))
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        raise LoginRequired(safe_next(here))
    with read_session(app_engine(request.app)) as session:
        row = find_session(session, cookie)
    if row is None:
        raise LoginRequired(safe_next(here), "expired")
    state = request.app.state
    now, idle = state.now(), timedelta(minutes=state.settings.session_idle_minutes)
    over = why_over(row, now, idle, state.live.revoked)
    if over and row.ended_at is None:
        with unit_of_work(app_engine(request.app)) as writer:
            end_session(writer, row.id, over, now)
    elif not over and needs_touch(row, now, idle):
        with unit_of_work(app_engine(request.app)) as writer:
            touch(writer, row.id, now)
    if over:
        raise LoginRequired(safe_next(here), "expired")
    request.state.page_session = row.id
    return note_actor(principal_of(row))  # the request log's actor


def _page_role(*roles: Role):
    def check(principal: Annotated[Principal, Depends(page_principal)]) -> Principal:
        return check_role(principal, roles)

    return check


PageUserDep = Annotated[Principal, Depends(page_principal)]
PageSupervisorDep = Annotated[Principal, Depends(_page_role(Role.SUPERVISOR))]
PagePractitionerDep = Annotated[Principal, Depends(_page_role(Role.PRACTITIONER))]
PageInstitutionDep = Annotated[Principal, Depends(_page_role(Role.INSTITUTION))]
