"""The number in a supervisor's header, "待办 (N)": two COUNT queries in a read session of the page's own."""
import logging

from fastapi import Request
from sqlalchemy.exc import SQLAlchemyError

from api.auth.tokens import Principal, Role
from api.live import app_engine
from api.supervision.todo import nav_total

log = logging.getLogger("points.web")


def todo_total(request: Request, principal: Principal | None) -> int | None:
    """None for other roles, and when the count cannot be read (the page is still shown, without it)."""
    if principal is None or principal.role is not Role.SUPERVISOR:
        return None
    try:
        return nav_total(app_engine(request.app), principal, request.app.state.today())
    except SQLAlchemyError:
        log.warning("the to-do count could not be read", exc_info=True)
        return None
