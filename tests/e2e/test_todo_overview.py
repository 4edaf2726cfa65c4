"""The 待办 page and the region overview in Chromium, at 1280 and 375 px: the header's count, the overdue
suspension first with a link to its decide form, the charts drawn (no CSP refusal) beside their tables, a bar
that leads to its filtered list, and no horizontal scrolling on a phone."""
import re
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from api.auth.tokens import Role
from tests.e2e.conftest import PERSON
from tests.e2e.test_pages_in_chromium import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.db]
OTHER = "D110105000124"


@pytest.fixture
def busy(site, beijing):
    """PERSON suspended on 5 January (default month ended 5 February: overdue on 1 March), OTHER on 20 February
    (running), and an objection to OTHER's record."""
    site.post(beijing, "/v1/practitioners", {"code": OTHER, "name": "李娜", "category": "medical",
                                             "institution_code": "H11010500001", "registered_on": "2025-01-01"})
    ids = {}
    for code, day in ((PERSON, "2026-01-05"), (OTHER, "2026-02-20")):
        ids[code] = site.post(beijing, "/v1/cases", {
            "violation_code": "S03", "decision_date": day, "case_number": f"京朝医保罚〔2026〕{day}号",
            "authority": "北京市朝阳区医疗保障局", "institution_code": "H11010500001",
            "people": [{"practitioner_code": code, "points": 9, "responsibility": "main"}]})[0]["id"]
    me = site.token(Role.PRACTITIONER, OTHER, "李娜")
    filed = site.post(me, "/v1/me/objections", {"record_id": ids[OTHER], "reason": "处方并非本人开具"})
    with site.engine.begin() as conn:  # filed on 21 February (China), 8 days before the site's 1 March
        conn.execute(text("UPDATE objection SET filed_at = :at WHERE id = :id"),
                     {"at": datetime(2026, 2, 21, 2, tzinfo=UTC), "id": filed["id"]})
    return ids


def no_horizontal_overflow(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), \
        page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")


@pytest.mark.parametrize("width", [1280, 375])
def test_todo_and_overview_at_desktop_and_phone_width(site, beijing, busy, browser, shots, console_errors, width):
    page = console_errors(browser.new_page(viewport={"width": width, "height": 900}))
    sign_in(page, site, beijing)
    expect(page.locator("#nav-todo")).to_have_text("待办 (3)")  # two suspensions, one objection

    page.click("#nav-todo")
    rows = page.locator("#suspension-rows tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_have_class("todo-overdue")
    expect(rows.nth(0)).to_contain_text(PERSON)
    expect(page.locator("#objection-rows tbody tr")).to_contain_text("处方并非本人开具")
    expect(page.locator("#objection-rows tbody tr")).to_contain_text("8 天")
    no_horizontal_overflow(page)
    shots(f"todo-{width}", page)
    rows.nth(0).locator("a.button").click()
    expect(page).to_have_url(re.compile(rf"/ui/people/{PERSON}#decide$"))
    expect(page.locator("#decide form")).to_have_count(1)

    page.click("#nav-overview")
    for chart in ("chart-status", "chart-month", "chart-violation", "chart-institution", "chart-objections"):
        expect(page.locator(f"svg#{chart}")).to_be_visible()
        expect(page.locator(f"#{chart}-table")).to_be_visible()
        assert page.locator(f"svg#{chart} rect").count() == page.locator(f"#{chart}-table tbody tr").count()
    bar = page.locator("svg#chart-status g.hbar.suspended rect")
    assert bar.bounding_box()["width"] > 0  # drawn by the stylesheet's rules, no inline style
    no_horizontal_overflow(page)
    shots(f"overview-{width}", page)
    page.locator("#chart-status-table a").first.click()
    expect(page).to_have_url(re.compile(r"/ui/people\?status=suspended$"))
