"""An institution's own pages: its staff today (status, and a sanction decided but not begun) and the
notifications (告知) addressed to it. An institution token sees only its own institution: the scope is the
token's institution code, never a parameter."""
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlalchemy.engine import Engine

from api.authz.scope import get_visible_institution
from api.deps import ReadSessionDep, TodayDep, engine_of
from api.eligibility.snapshot import Snapshot
from api.live import read_session
from api.people import institution_view
from api.web import export
from api.web.auth import PageInstitutionDep
from api.web.filters import PER_PAGE, pages
from api.web.i18n import translator
from api.web.render import language, page
from points.dates import china_date

router = APIRouter(prefix="/ui/institution", include_in_schema=False)
NOTICE_KINDS = ("record", "review", "sanction", "objection")  # labelled; another kind is shown as written
PageQuery = Annotated[int, Query(alias="page", ge=1, le=100_000)]  # from 1; past the last: the last


def _paging(number: int, total: int) -> dict:
    last = pages(total, PER_PAGE)
    return {"page_no": min(number, last), "pages": last, "total": total}


@router.get("")
def staff(request: Request, session: ReadSessionDep, who: PageInstitutionDep, today: TodayDep,
          page_no: PageQuery = 1):
    institution = get_visible_institution(session, who, who.scope)
    paging = _paging(page_no, institution_view.count_current_staff(session, institution.id, today))
    rows = institution_view.current_staff(session, request.app.state.live.snapshot, institution.id, today,
                                          (paging["page_no"] - 1) * PER_PAGE, PER_PAGE)
    return page(request, "institution.html", {
        "institution": institution, "institution_names": {institution.code: institution.name}, "rows": rows,
        "today": today, **paging}, principal=who)


def _staff_chunks(engine: Engine, snapshot: Snapshot | None, institution_id: int, today) -> Iterator[list]:
    """All the staff of today, in chunks, each read in its own short read-only transaction."""
    offset = 0
    while True:
        with read_session(engine) as session:
            rows = institution_view.current_staff(session, snapshot, institution_id, today, offset, export.CHUNK)
        if rows:
            yield rows
        if len(rows) < export.CHUNK:
            return
        offset += len(rows)


@router.get("/export.xlsx")
async def export_staff(request: Request, who: PageInstitutionDep, today: TodayDep):
    """The staff list as .xlsx, headers and values in the page's language."""
    with read_session(engine_of(request)) as session:
        institution = get_visible_institution(session, who, who.scope)
    t = translator(language(request))
    header = [t(k) for k in ("col.code", "col.name", "col.category", "col.status", "col.until",
                             "inst.col.upcoming")]

    def cells(r) -> list:
        coming = r.upcoming and t(f"inst.upcoming.{r.upcoming.kind}", start=r.upcoming.starts_on,
                                  end=r.upcoming.ends_on)
        return [r.code, r.name, t(f"category.{r.category}"), t(f"status.{r.status}"), r.until, coming or ""]

    chunks = _staff_chunks(engine_of(request), request.app.state.live.snapshot, institution.id, today)
    return await export.xlsx_response(request, f"staff-{institution.code}", lambda path: export.write_xlsx(
        path, t("inst.staff.title"), header, chunks, cells), today)


@router.get("/notifications")
def notifications(request: Request, session: ReadSessionDep, who: PageInstitutionDep, page_no: PageQuery = 1):
    institution = get_visible_institution(session, who, who.scope)
    paging = _paging(page_no, institution_view.count_notifications(session, institution.code))
    rows = institution_view.notifications(session, institution.code, (paging["page_no"] - 1) * PER_PAGE, PER_PAGE)
    return page(request, "institution_notifications.html", {
        "institution": institution, "institution_names": {institution.code: institution.name}, "rows": rows,
        "kinds": NOTICE_KINDS, "china_date": china_date, **paging}, principal=who)
