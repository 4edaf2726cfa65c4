"""The supervisor's 待办 (to-do) page: suspensions whose length is undecided (overdue first) and open objections
(oldest first), each linking to the form that settles it; the queries are in api.supervision.todo."""
from fastapi import APIRouter, Request

from api.deps import ReadSessionDep, TodayDep
from api.supervision.todo import SHOWN, open_objections, todo_counts, undecided_suspensions
from api.web.auth import PageSupervisorDep
from api.web.render import page

router = APIRouter(prefix="/ui", include_in_schema=False)


@router.get("/todo")
def todo(request: Request, session: ReadSessionDep, who: PageSupervisorDep, today: TodayDep):
    counts = todo_counts(session, who, today)
    return page(request, "todo.html", {
        "counts": counts, "todo_total": counts.total, "shown": SHOWN, "today": today,
        "suspensions": undecided_suspensions(session, who, today),
        "objections": open_objections(session, who, today)}, principal=who)
