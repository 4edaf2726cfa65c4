"""The supervisor's 待办 page and region overview over a real database: counts and order (overdue first, the
oldest objection first), the header's count, each region seeing only its own (a region above sees the sum of its
districts; a person registered in two districts counts in both, once in the province), and every chart's SVG
beside a table of the same numbers."""
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlmodel import Session

from api.auth.tokens import Principal, Role
from api.authz.scope import visible_people, visible_person_id
from api.db.models import Practitioner
from tests.app.test_pages import sign_in

pytestmark = pytest.mark.db

TODAY = date(2026, 3, 1)
CHAOYANG, HAIDIAN, TIANJIN = "H11010500001", "H11010800001", "H12010100001"
A, B, C, D = "D110105000001", "D110108000001", "D120101000001", "D110105000002"


def _case(api, scope, code, points, decided, institution, violation):
    sup = api.token(Role.SUPERVISOR, scope, f"sup-{scope}")
    r = api.client.post("/v1/cases", headers=sup, json={
        "violation_code": violation, "decision_date": decided, "case_number": f"{code}-{decided}",
        "authority": f"医保局{scope}", "institution_code": institution,
        "people": [{"practitioner_code": code, "points": points, "responsibility": "main"}]})
    assert r.status_code == 201, r.text
    return r.json()[0]["id"]


def _object(api, code, record_id, filed: datetime):
    me = api.token(Role.PRACTITIONER, code, code)
    r = api.client.post("/v1/me/objections", headers=me, json={"record_id": record_id, "reason": f"异议{record_id}"})
    assert r.status_code == 201, r.text
    with api.engine.begin() as conn:  # filed in the past: the objection's age
        conn.execute(text("UPDATE objection SET filed_at = :at WHERE id = :id"), {"at": filed, "id": r.json()["id"]})


@pytest.fixture
def region(api):
    """Chaoyang (110105) and Haidian (110108) in Beijing, and Tianjin. A: suspended by Chaoyang's 9 points on
    5 January (default month ended 5 February: overdue by 1 March); B: suspended by Beijing's 9 points on
    20 February (running); C: suspended in Tianjin; D: registered in Chaoyang and Haidian, suspended by Haidian's
    4 + 5 points (10 and 15 February)."""
    api.clock.today = TODAY
    national = api.token(Role.SUPERVISOR, "000000", "national")
    for code in (CHAOYANG, HAIDIAN, TIANJIN):
        r = api.client.post("/v1/institutions", headers=national, json={
            "code": code, "name": f"医院{code[1:7]}", "kind": "hospital", "region": code[1:7]})
        assert r.status_code == 201, r.text
    for code, at in ((A, CHAOYANG), (B, HAIDIAN), (C, TIANJIN), (D, CHAOYANG)):
        r = api.client.post("/v1/practitioners", headers=national, json={
            "code": code, "name": f"人{code[-1]}", "category": "medical", "institution_code": at,
            "registered_on": "2025-01-01"})
        assert r.status_code == 201, r.text
    r = api.client.post("/v1/registrations", headers=national, json={
        "practitioner_code": D, "institution_code": HAIDIAN, "starts_on": "2025-06-01"})
    assert r.status_code == 201, r.text
    ids = {"A": _case(api, "110105", A, 9, "2026-01-05", CHAOYANG, "S03"),
           "B": _case(api, "110000", B, 9, "2026-02-20", HAIDIAN, "S03"),
           "C": _case(api, "120000", C, 9, "2026-02-01", TIANJIN, "S03"),
           "D": _case(api, "110108", D, 4, "2026-02-10", HAIDIAN, "H01"),
           "D2": _case(api, "110108", D, 5, "2026-02-15", HAIDIAN, "H02")}
    _object(api, A, ids["A"], datetime(2026, 2, 20, 2, tzinfo=UTC))    # 9 days open on 1 March
    _object(api, D, ids["D"], datetime(2025, 11, 20, 2, tzinfo=UTC))   # 101 days: the oldest
    _object(api, C, ids["C"], datetime(2026, 2, 27, 2, tzinfo=UTC))    # Tianjin's
    return ids


def rows(page: str, table: str, attr: str) -> list[str]:
    body = page.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    return re.findall(rf'{attr}="([^"]*)"', body)


def test_todo_lists_overdue_suspensions_first_and_the_oldest_objection_first(api, region):
    sign_in(api, scope="110000")
    page = api.client.get("/ui/todo").text
    # A overdue (its default month ended 5 February), then the running ones by their end: D, B
    assert rows(page, "suspension-rows", "data-trigger") == [str(region[k]) for k in ("A", "D2", "B")]
    assert rows(page, "suspension-rows", "data-ends") == ["2026-02-05", "2026-03-15", "2026-03-20"]
    assert 'class="todo-overdue"' in page and 'class="todo-running"' in page
    assert f'href="/ui/people/{A}#decide"' in page
    assert rows(page, "objection-rows", "data-days") == ["101", "9"]  # the oldest first; Tianjin's not here
    assert f'href="/ui/records/{region["D"]}/review"' in page
    assert "待决定期限的暂停 3 项（其中逾期 1 项），待复核的异议 2 项。" in page
    assert 'id="nav-todo">待办 (5)</a>' in page
    assert "逾期：" in page  # the page says what overdue means


def test_todo_counts_only_what_each_region_may_decide(api, region):
    expected = {"000000": (4, 1, 3), "110000": (3, 1, 2), "110105": (1, 1, 1), "110108": (1, 0, 1),
                "120000": (1, 0, 1)}
    for scope, (suspensions, overdue, objections) in expected.items():
        sign_in(api, scope=scope)
        page = api.client.get("/ui/todo").text
        assert (f"待决定期限的暂停 {suspensions} 项（其中逾期 {overdue} 项），待复核的异议 {objections} 项。"
                in page), scope
        assert len(rows(page, "suspension-rows", "data-trigger") if suspensions else []) == suspensions
        # the header shows the same count on every supervisor page
        people = api.client.get("/ui/people").text
        assert f'id="nav-todo">待办 ({suspensions + objections})</a>' in people, scope
    # deciding B's length takes it off Beijing's list
    beijing = api.token(Role.SUPERVISOR, "110000", "北京")
    r = api.client.post(f"/v1/practitioners/{B}/suspension-decisions", headers=beijing, json={
        "trigger_record_id": region["B"], "months": 2, "decided_on": "2026-03-01", "reason": "决定"})
    assert r.status_code == 201, r.text
    sign_in(api, scope="110000")
    assert rows(api.client.get("/ui/todo").text, "suspension-rows", "data-trigger") == [str(region["A"]),
                                                                                      str(region["D2"])]


def test_practitioners_have_no_todo_and_no_count(api, region):
    sign_in(api, Role.PRACTITIONER, A, "人1")
    assert api.client.get("/ui/todo", follow_redirects=False).status_code == 403
    assert api.client.get("/ui/overview", follow_redirects=False).status_code == 403
    assert "nav-todo" not in api.client.get("/ui/me").text


def table_values(page: str, chart: str) -> list[int]:
    return [int(v) for v in rows(page, f"{chart}-table", "data-value")]


def svg_values(page: str, chart: str) -> list[int]:
    svg = page.split(f'<svg id="{chart}"', 1)[1].split("</svg>", 1)[0]
    return [int(v) for v in re.findall(r'data-value="(\d+)"', svg)]


def test_overview_charts_and_tables_show_the_same_numbers_with_links(api, region):
    sign_in(api, scope="110000")
    page = api.client.get("/ui/overview").text
    for chart in ("chart-status", "chart-upcoming", "chart-month", "chart-violation", "chart-institution",
                  "chart-objections"):
        assert table_values(page, chart) == svg_values(page, chart), chart
    assert table_values(page, "chart-status") == [2, 0, 0]  # B and D suspended (A's month is over; C: Tianjin)
    assert table_values(page, "chart-month") == [1, 3, 0]   # January: A; February: B and D twice
    assert table_values(page, "chart-violation") == [2, 1, 1]  # S03 twice, H01 and H02 once
    assert table_values(page, "chart-objections") == [0, 1, 0, 1]  # 9 days and 101 days
    assert 'href="/ui/people?status=suspended"' in page
    assert 'href="/ui/people?from=2026-02-01&amp;to=2026-02-28"' in page
    assert 'href="/ui/people?violation=S03&amp;from=2026-01-01&amp;to=2026-03-01"' in page
    assert f'href="/ui/people?institution={HAIDIAN}&amp;from=2026-01-01&amp;to=2026-03-01"' in page
    assert 'href="/ui/objections?from=2026-01-30&amp;to=2026-02-21"' in page  # open 8–30 days: filed then
    assert 'href="/ui/objections?to=2025-11-30"' in page                       # 91 days and more
    assert "<title" in page and 'role="img"' in page
    links = set(re.findall(r'<td><a href="(/ui/(?:people|objections)\?[^"]+)"', page))
    assert len(links) > 10
    for link in links:  # every list behind a number takes its filters
        r = api.client.get(link.replace("&amp;", "&"))
        assert r.status_code == 200, link  # a refused filter answers 422


def test_overview_counts_by_region_a_person_registered_twice_counts_in_both_once_above(api, region):
    def status_and_records(scope):
        sign_in(api, scope=scope)
        page = api.client.get("/ui/overview").text
        return table_values(page, "chart-status")[0], sum(table_values(page, "chart-month"))

    assert status_and_records("110105") == (1, 3)   # D suspended; records of A and D (registered here)
    assert status_and_records("110108") == (2, 3)   # B and D suspended; records of B and D (registered here too)
    assert status_and_records("110000") == (2, 4)   # D counted once
    assert status_and_records("120000") == (1, 1)   # Tianjin sees only C
    assert status_and_records("000000") == (3, 5)


def test_overview_in_english_and_an_annulled_record_leaves_the_counts(api, region):
    beijing = api.token(Role.SUPERVISOR, "110000", "北京")
    r = api.client.post(f"/v1/records/{region['D']}/reviews", headers=beijing, json={
        "outcome": "annul", "decided_on": "2026-03-01", "reason": "撤销"})
    assert r.status_code == 201, r.text
    sign_in(api, scope="110000")
    api.client.get("/ui/lang", params={"to": "en", "next": "/ui/overview"})
    page = api.client.get("/ui/overview").text
    assert "Region overview" in page and "Point records in 2026 by month" in page
    assert table_values(page, "chart-month") == [1, 2, 0]
    assert table_values(page, "chart-status") == [1, 0, 0]  # D's suspension is lifted
    assert table_values(page, "chart-objections") == [0, 1, 0, 0]  # D's objection closed by the review


def test_the_sets_of_visible_people_are_the_people_visible_people_admits(api, region):
    with Session(api.engine) as session:
        for scope in ("000000", "110000", "110105", "110108", "120000", "120101", "190000", "990000", "310000"):
            who = Principal("t", Role.SUPERVISOR, scope, "t", datetime.now(UTC) + timedelta(days=1))
            expected = set(session.scalars(select(Practitioner.id).where(visible_people(who))))
            found = set(session.scalars(select(Practitioner.id).where(visible_person_id(Practitioner.id, who))))
            assert found == expected, scope


def test_another_regions_institution_is_counted_but_not_linked(api, region):
    """C, suspended in Tianjin, is registered in Chaoyang too: Beijing counts C's record at the Tianjin hospital,
    whose list Beijing may not filter by, so that row names it without a link."""
    national = api.token(Role.SUPERVISOR, "000000", "national")
    r = api.client.post("/v1/registrations", headers=national, json={
        "practitioner_code": C, "institution_code": CHAOYANG, "starts_on": "2025-06-01"})
    assert r.status_code == 201, r.text
    sign_in(api, scope="110000")
    page = api.client.get("/ui/overview").text
    assert f"医院120101 {TIANJIN}" in page and f"institution={TIANJIN}" not in page
    for link in set(re.findall(r'<td><a href="(/ui/(?:people|objections)\?[^"]+)"', page)):
        assert api.client.get(link.replace("&amp;", "&")).status_code == 200, link
