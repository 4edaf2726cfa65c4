"""Pages use the API's tokens: the login form checks a token and keeps it in an HttpOnly cookie; every form
carries a CSRF token derived from the token's id, so another site cannot post with the cookie."""
import hashlib
import hmac
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request

from api.auth.service import app_signing_key
from api.auth.tokens import Principal, Role
from api.clock import utcnow
from api.deps import authenticate_state, check_role
from api.errors import Forbidden, Unauthorized

SESSION_COOKIE = "points_session"
LANG_COOKIE = "points_lang"
PAGE_ROLES = (Role.SUPERVISOR, Role.PRACTITIONER)


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


def sign_in(request: Request, token: str) -> Principal:
    """Checks a pasted token like any API request would; only roles the pages serve."""
    principal = authenticate_state(request.app.state, token.strip())
    if principal.role not in PAGE_ROLES:
        raise Forbidden("this kind of token uses the API", "ROLE_NOT_SERVED")
    return principal


def cookie_seconds(principal: Principal) -> int:
    return max(int((principal.expires_at - utcnow()).total_seconds()), 0)


def csrf_token(request: Request, principal: Principal) -> str:
    key = app_signing_key(request.app.state)
    return hmac.new(key, f"csrf:{principal.id}".encode(), hashlib.sha256).hexdigest()[:32]


def check_csrf(request: Request, principal: Principal, form: dict[str, str]) -> None:
    if not hmac.compare_digest(form.get("csrf", ""), csrf_token(request, principal)):
        raise Forbidden("the form expired or came from another site; reload the page", "CSRF_FAILED")


def page_principal(request: Request) -> Principal:
    here = path_with_query(request.url)
    if request.method != "GET":  # after signing in again, back to the page that held the form
        here = path_with_query(urlsplit(request.headers.get("referer", "")))
    try:
        return authenticate_state(request.app.state, request.cookies.get(SESSION_COOKIE))
    except Unauthorized as exc:
        raise LoginRequired(safe_next(here), "expired" if request.cookies.get(SESSION_COOKIE) else "") from exc


def _page_role(*roles: Role):
    def check(principal: Annotated[Principal, Depends(page_principal)]) -> Principal:
        return check_role(principal, roles)

    return check


PageUserDep = Annotated[Principal, Depends(page_principal)]
PageSupervisorDep = Annotated[Principal, Depends(_page_role(Role.SUPERVISOR))]
PagePractitionerDep = Annotated[Principal, Depends(_page_role(Role.PRACTITIONER))]
