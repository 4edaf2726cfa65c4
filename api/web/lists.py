"""The supervisors' lists: people and objections, each with filters (`q`, `status`, `institution`, `violation`,
`from`, `to`), the total (共 N 条), pages of 50 whose links keep the filters, and an `.xlsx` export of the same
filters. Everything is confined to the supervisor's region in the same SQL (api/web/listquery.py)."""
from functools import partial

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from sqlmodel import Session

from api.auth.tokens import Principal
from api.authz.scope import visible_institutions
from api.db.models import Institution
from api.deps import PolicyDep, ReadSessionDep, TodayDep, engine_of
from api.live import read_session
from api.web import export, listquery
from api.web.auth import PageSupervisorDep
from api.web.filters import PER_PAGE, Filters, page_numbers, pages, parse_filters
from api.web.i18n import translator
from api.web.names import reading_names
from api.web.render import language, page
from points import Policy, Status
from points.dates import china_date

router = APIRouter(prefix="/ui", include_in_schema=False)
OBJECTION_STATES = ("open", "reviewed", "duplicate")


def _filters(request: Request, session: Session, who: Principal, policy: Policy, statuses: tuple[str, ...],
             default_status: str = "") -> Filters:
    f = parse_filters(request.query_params, statuses, {v.code for v in policy.violations}, default_status)
    if f.institution and "institution" not in f.errors and session.scalar(
            select(Institution.id).where(Institution.code == f.institution, visible_institutions(who))) is None:
        f.errors["institution"] = "list.unknown_institution"
    return f


def _list_page(request: Request, who: Principal, policy: Policy, today, name: str, f: Filters, count, read,
               statuses, **extra):
    t = translator(language(request))
    if f.errors:
        total, rows = 0, []
    else:
        total = count(f)
        f = f.at_page(min(f.page, pages(total)))
        rows = read(f)
    return page(request, name, {
        "f": f, "rows": rows, "total": total, "pages": pages(total), "per_page": PER_PAGE, "statuses": statuses,
        "page_numbers": page_numbers(f.page, pages(total)), "china_date": china_date,
        "violations": policy.catalogue(who.scope if who.scope.isdigit() else "000000", today), "today": today,
        "filter_errors": {k: t(v) for k, v in f.errors.items()}, **extra}, 422 if f.errors else 200, principal=who)


@router.get("/people")
def people(request: Request, session: ReadSessionDep, who: PageSupervisorDep, policy: PolicyDep, today: TodayDep):
    f = _filters(request, session, who, policy, tuple(Status))
    return _list_page(request, who, policy, today, "people.html", f,
                      partial(listquery.count_people, session, who), partial(listquery.people_page, session, who),
                      list(Status))


@router.get("/objections")
def objections(request: Request, session: ReadSessionDep, who: PageSupervisorDep, policy: PolicyDep,
               today: TodayDep):
    f = _filters(request, session, who, policy, OBJECTION_STATES, default_status="open")
    names: dict[str, str] = {}  # the shown rows' institutions by name (api/web/names.py)
    return _list_page(request, who, policy, today, "objections.html", f,
                      partial(listquery.count_objections, session, who),
                      reading_names(session, partial(listquery.objections_page, session, who), names),
                      OBJECTION_STATES, institution_names=names)


async def _export(request: Request, who: Principal, policy: Policy, today, kind: str, columns, statuses,
                  default_status: str = ""):
    with read_session(engine_of(request)) as session:
        f = _filters(request, session, who, policy, statuses, default_status)
    if f.errors:  # the list page says what is wrong, with what was typed
        return RedirectResponse(f"/ui/{kind}?{request.url.query}", status_code=303)
    t = translator(language(request))
    header, cells = columns(t)
    chunks = partial(listquery.chunks, engine_of(request), who, f, kind, export.CHUNK)
    return await export.xlsx_response(request, kind, lambda path: export.write_xlsx(
        path, t(f"list.sheet.{kind}"), header, chunks(), cells), today)


@router.get("/people/export.xlsx")
async def export_people(request: Request, who: PageSupervisorDep, policy: PolicyDep, today: TodayDep):
    return await _export(request, who, policy, today, "people", export.people_columns, tuple(Status))


@router.get("/objections/export.xlsx")
async def export_objections(request: Request, who: PageSupervisorDep, policy: PolicyDep, today: TodayDep):
    columns = partial(export.objection_columns, lang=language(request), policy=policy)
    return await _export(request, who, policy, today, "objections", columns, OBJECTION_STATES, "open")
