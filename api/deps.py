"""FastAPI dependencies as `Annotated` aliases. The request owns the transaction: the session commits after
the route returns and before the response is sent (scope="function"), and rolls back on any error."""
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Annotated

from fastapi import Depends, Path, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.auth.service import app_signing_key
from api.auth.tokens import Principal, Role
from api.clock import utcnow
from api.db.engine import unit_of_work
from api.eligibility.versions import STANDING_CHANGED
from api.errors import Forbidden, Unauthorized
from api.live import app_engine, read_session
from api.request_log import note_actor
from points import Policy


def engine_of(request: Request) -> Engine:
    return app_engine(request.app)


@contextmanager
def _known_to_the_page(request: Request, session: Session) -> Iterator[None]:
    """While it is open, the request's session is where its page's header counts the supervisor's to-do
    (api/web/nav.py), rather than in a second connection."""
    outer, request.state.session = getattr(request.state, "session", None), session
    try:
        yield
    finally:
        request.state.session = outer


def get_session(request: Request) -> Iterator[Session]:
    with unit_of_work(engine_of(request)) as session, _known_to_the_page(request, session):
        yield session
    request.app.state.live.invalidate(session.info.get(STANDING_CHANGED))


def get_read_session(request: Request) -> Iterator[Session]:
    """For views that only read: on SQLite a plain BEGIN, so page views never queue behind writers."""
    with read_session(engine_of(request)) as session, _known_to_the_page(request, session):
        yield session


async def get_policy(request: Request) -> Policy:
    return request.app.state.policy


async def get_today(request: Request) -> date:
    """Today in China; the app's clock, so tests can fix it."""
    return request.app.state.today()


_bearer = HTTPBearer(auto_error=False, description="`Authorization: Bearer <token>`")
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="the same token, for machine clients")


def authenticate_state(state, token: str | None) -> Principal:
    """No I/O: signatures are checked (and cached) in memory; revocations are refreshed in the background."""
    if not token:
        raise Unauthorized("send `Authorization: Bearer <token>` or `X-API-Key: <token>`", "UNAUTHENTICATED")
    principal = state.tokens.verify(app_signing_key(state), token, utcnow())
    if principal.id in state.live.revoked:
        raise Unauthorized("token revoked", "TOKEN_REVOKED")
    return note_actor(principal)  # the request log's actor


async def get_principal(request: Request, bearer: HTTPAuthorizationCredentials | None = Security(_bearer),
                        api_key: str | None = Security(_api_key)) -> Principal:
    return authenticate_state(request.app.state, bearer.credentials if bearer else api_key)


def check_role(principal: Principal, roles: tuple[Role, ...]) -> Principal:
    if principal.role not in roles:
        raise Forbidden(f"role {principal.role} may not use this endpoint", "ROLE_NOT_ALLOWED")
    return principal


SECURITY = {"security": [{"HTTPBearer": []}, {"APIKeyHeader": []}]}


MAX_ID = 2**31 - 1  # ids are 32-bit integers in every database we run on
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]  # a row id in the URL

SessionDep = Annotated[Session, Depends(get_session, scope="function")]
ReadSessionDep = Annotated[Session, Depends(get_read_session)]
PolicyDep = Annotated[Policy, Depends(get_policy)]
TodayDep = Annotated[date, Depends(get_today)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]


def allow(*roles: Role):
    async def check(principal: PrincipalDep) -> Principal:
        return check_role(principal, roles)

    return check


SupervisorDep = Annotated[Principal, Depends(allow(Role.SUPERVISOR))]
SettlementDep = Annotated[Principal, Depends(allow(Role.SETTLEMENT, Role.SUPERVISOR))]
ClaimsClientDep = Annotated[Principal, Depends(allow(Role.SETTLEMENT))]
PractitionerDep = Annotated[Principal, Depends(allow(Role.PRACTITIONER))]
StaffViewerDep = Annotated[Principal, Depends(allow(Role.SUPERVISOR, Role.INSTITUTION))]
EVERYONE = (Role.SUPERVISOR, Role.INSTITUTION, Role.PRACTITIONER, Role.SETTLEMENT)
AnyRoleDep = Annotated[Principal, Depends(allow(*EVERYONE))]
