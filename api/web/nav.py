"""The number in a supervisor's header, "待办 (N)": two COUNT queries, in the page's own database session when
it has one. A second connection taken while the page holds one would deadlock the pool once as many pages are
under way as it has connections (each holding one, waiting for another)."""
import logging

from fastapi import Request
from sqlalchemy.exc import SQLAlchemyError

from api.auth.tokens import Principal, Role
from api.live import app_engine
from api.supervision.todo import nav_total, todo_counts

log = logging.getLogger("points.web")


def todo_total(request: Request, principal: Principal | None) -> int | None:
    """None for other roles, and when the count cannot be read (the page is still shown, without it)."""
    if principal is None or principal.role is not Role.SUPERVISOR:
        return None
    today, session = request.app.state.today(), getattr(request.state, "session", None)
    try:
        if session is not None:
            return todo_counts(session, principal, today).total
        return nav_total(app_engine(request.app), principal, today)
    except SQLAlchemyError:
        log.warning("the to-do count could not be read", exc_info=True)
        return None
