"""The region overview: sanctions now and ahead, this year's point records by month, violation type and
institution, and open objections by age, each as an SVG bar chart with the same numbers in a table beside it;
every bar and row links to the list behind it (/ui/people or /ui/objections with their filters)."""
from datetime import date, timedelta
from urllib.parse import urlencode

from fastapi import APIRouter, Request

from api.deps import PolicyDep, ReadSessionDep, TodayDep
from api.supervision.overview import Overview, overview
from api.web.auth import PageSupervisorDep
from api.web.charts import ChartRow, chart
from api.web.i18n import translator
from api.web.render import language, page
from points import Policy
from points.errors import DomainError
from points.regions import covers

router = APIRouter(prefix="/ui", include_in_schema=False)


def people(**filters) -> str:
    return "/ui/people?" + urlencode(filters)


def _month_end(year: int, month: int) -> date:
    return (date(year + month // 12, month % 12 + 1, 1)) - timedelta(days=1)


def _filed(today: date, low: int, high: int | None) -> str:
    """The open objections filed `low` to `high` days ago (China dates), as /ui/objections filters them."""
    days = {"to": (today - timedelta(days=low)).isoformat()}
    if high is not None:
        days = {"from": (today - timedelta(days=high)).isoformat()} | days
    return "/ui/objections?" + urlencode(days)


def _violation_name(policy: Policy, code: str, region: str, today: date, lang: str) -> str:
    try:
        found = policy.violation(code, region, today)
    except DomainError:
        return code
    return f"{code} {found.name_zh if lang == 'zh' else found.name_en}"


def charts(view: Overview, t, lang: str, policy: Policy, region: str, today: date) -> list:
    """(chart, the table's value column) for each chart; every row links to the list behind it."""
    year, this_year = view.year, {"from": date(view.year, 1, 1).isoformat(), "to": today.isoformat()}
    sanctions = [ChartRow(t("status." + s), n, people(status=s), s) for s, n in view.statuses.items()]
    ahead = [ChartRow(t("overview.upcoming_" + kind), n, "#upcoming", "ahead") for kind, n in view.upcoming.items()]
    months = [ChartRow(t("overview.month", m=m), n, people(**{"from": date(year, m, 1).isoformat(),
                                                              "to": min(_month_end(year, m), today).isoformat()}),
                       points=p) for m, n, p in view.by_month]
    kinds = [ChartRow(_violation_name(policy, code, region, today, lang), n, people(violation=code, **this_year),
                      points=p) for code, n, p in view.by_violation]
    places = [ChartRow(f"{name} {code}", n, people(institution=code, **this_year) if covers(region, code[1:7]) else "",
                       points=p) for code, name, n, p in view.by_institution]  # another region's: not a list here
    ages = [ChartRow(t("overview.age_range", a=a, b=b) if b is not None else t("overview.age_over", a=a), n,
                     _filed(today, a, b), "late" if b is None else "") for (a, b), n in view.objection_ages]
    return [(chart("chart-status", t("overview.status_now"), sanctions), "overview.col_people"),
            (chart("chart-upcoming", t("overview.upcoming"), ahead), "overview.col_people"),
            (chart("chart-month", t("overview.by_month", y=year), months), "overview.col_records"),
            (chart("chart-violation", t("overview.by_violation", y=year), kinds), "overview.col_records"),
            (chart("chart-institution", t("overview.by_institution", y=year), places), "overview.col_records"),
            (chart("chart-objections", t("overview.objection_ages"), ages), "overview.col_count")]


@router.get("/overview")
def region_overview(request: Request, session: ReadSessionDep, who: PageSupervisorDep, policy: PolicyDep,
                    today: TodayDep):
    view = overview(session, who, today)
    lang = language(request)
    return page(request, "overview.html", {"view": view, "today": today,
                                           "charts": charts(view, translator(lang), lang, policy, who.scope, today)},
                principal=who)
