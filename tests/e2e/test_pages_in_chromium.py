"""A supervisor records points in Chromium until the person is suspended and sees it on the page; the person
objects on their own page; the supervisor annuls the record and the person is eligible again."""
import re

import pytest
from playwright.sync_api import expect

from api.auth.tokens import Role
from tests.e2e.conftest import PERSON, record_until_suspended

pytestmark = [pytest.mark.e2e, pytest.mark.db]


def sign_in(page, site, token: str):
    page.goto(f"{site.url}/ui")
    expect(page).to_have_url(re.compile(r"/ui/login"))
    page.fill("#token", token)
    page.click("#login-submit")


def record(page, violation: str, points: str, day: str, number: str):
    page.click("#record-points")
    page.select_option("#f-violation_code", violation)
    page.fill("#f-points", points)
    page.fill("#f-decision_date", day)
    page.fill("#f-case_number", number)
    page.click("#record-submit")
    expect(page.locator("#flash")).to_be_visible()


def test_recording_points_until_suspension_changes_the_status_on_the_page(site, beijing, browser, shots,
                                                                          console_errors):
    page = console_errors(browser.new_page(viewport={"width": 1100, "height": 900}))
    sign_in(page, site, beijing)
    page.fill("#q", "王")
    page.click("#search-submit")
    expect(page.locator("#people")).to_contain_text("王伟")
    shots("search", page)
    page.click(f"text={PERSON}")
    expect(page.locator("#status [data-status]")).to_have_attribute("data-status", "normal")
    shots("normal", page)

    # the band: H01 is "heavier", 4–6 points, so the browser refuses 7 before anything is sent
    page.click("#record-points")
    page.select_option("#f-violation_code", "H01")
    expect(page.locator("#band-hint")).to_contain_text("4–6")
    # next to it, the chosen type's source (issue 12): H01 is art. 38 item (2); the project chose its band
    expect(page.locator("#source-hint")).to_contain_text("第三十八条第(二)项")
    page.select_option("#f-violation_code", "L99")
    expect(page.locator("#source-hint")).to_contain_text("无公开文件规定此具体情形")
    page.select_option("#f-violation_code", "H01")
    page.fill("#f-points", "7")
    assert page.eval_on_selector("#f-points", "e => e.validity.rangeOverflow")
    page.click("#record-submit")  # the browser keeps the form: nothing is sent
    expect(page).to_have_url(re.compile(r"/record$"))
    page.go_back()

    record(page, "H01", "5", "2026-02-10", "京朝医保罚〔2026〕1号")
    expect(page.locator("#points-this-year")).to_have_text("5")
    expect(page.locator("#status [data-status]")).to_have_attribute("data-status", "normal")
    record(page, "H02", "4", "2026-02-20", "京朝医保罚〔2026〕2号")
    expect(page.locator("#points-this-year")).to_have_text("9")
    expect(page.locator("#status [data-status]")).to_have_attribute("data-status", "suspended")
    expect(page.locator("#timeline .bar.level-suspend[data-year='2026']")).to_have_count(1)
    expect(page.locator("#timeline g.span.suspended")).to_have_attribute("data-from", "2026-02-21")
    expect(page.locator("#eligible-again")).to_have_text("2026-03-21")
    shots("suspended", page)

    page.select_option("#f-months", "3")
    page.fill("#f-reason", "情节较重")
    page.click("#decide-submit")
    expect(page.locator("#eligible-again")).to_have_text("2026-05-21")
    expect(page.locator("#decide .length.decided")).to_contain_text("3")  # kept, to correct the length

    page.click("#lang-toggle")
    expect(page.locator("#status")).to_contain_text("Suspended")
    shots("suspended-3-months-en", page)


def test_an_objection_filed_by_the_practitioner_is_reviewed_and_the_status_returns(site, beijing, browser, shots,
                                                                                    console_errors):
    record_until_suspended(site, beijing)

    physician = console_errors(browser.new_context(viewport={"width": 1100, "height": 900}).new_page())
    sign_in(physician, site, site.token(Role.PRACTITIONER, PERSON, "王伟"))
    expect(physician).to_have_url(re.compile(r"/ui/me$"))
    expect(physician.locator("#status [data-status]")).to_have_attribute("data-status", "suspended")
    physician.locator("tr", has_text="京朝医保罚〔2026〕4号").locator(".object-link").click()
    physician.fill("#f-reason", "该处方并非本人开具")
    physician.click("#objection-submit")
    expect(physician.locator("#flash")).to_be_visible()
    shots("objection-filed", physician)

    supervisor = console_errors(browser.new_context(viewport={"width": 1100, "height": 900}).new_page())
    sign_in(supervisor, site, beijing)
    supervisor.click("text=异议复核")
    expect(supervisor.locator("#objections")).to_contain_text("该处方并非本人开具")
    supervisor.locator("#objections a.button").first.click()
    expect(supervisor.locator("#f-points")).to_be_disabled()
    supervisor.check("#outcome-annul")
    supervisor.fill("#f-reason", "异议成立, 撤销记分")
    supervisor.click("#review-submit")
    expect(supervisor.locator("#status [data-status]")).to_have_attribute("data-status", "normal")
    expect(supervisor.locator("#points-this-year")).to_have_text("5")
    shots("annulled", supervisor)

    physician.reload()
    expect(physician.locator("#status [data-status]")).to_have_attribute("data-status", "normal")
    expect(physician.locator(".o-reviewed")).to_have_count(1)
    shots("eligible-again", physician)

    physician.click("#logout")  # a form with the session's CSRF token; the session ends on the server
    expect(physician).to_have_url(re.compile(r"/ui/login$"))
    physician.goto(f"{site.url}/ui/me")
    expect(physician).to_have_url(re.compile(r"/ui/login\?next="))
