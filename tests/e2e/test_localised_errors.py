"""A refused record form in Chromium: the error is in Chinese on the Chinese page, in English after the toggle,
with the same code."""
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PERSON

pytestmark = [pytest.mark.e2e, pytest.mark.db]


def submit_eight_points(page):
    """8 points for H01 (4–6): the browser's own range check is switched off so the server answers."""
    page.select_option("#f-violation_code", "H01")
    page.fill("#f-points", "8")
    page.fill("#f-decision_date", "2026-02-10")
    page.fill("#f-case_number", "京朝医保罚〔2026〕8号")
    page.eval_on_selector("#record-form", "f => { f.noValidate = true }")
    page.click("#record-submit")


def test_a_refused_record_reads_in_the_pages_language(site, beijing, browser, shots):
    page = browser.new_page(viewport={"width": 1100, "height": 900})  # a 422 answer is expected here
    page.goto(f"{site.url}/ui")
    page.fill("#token", beijing)
    page.click("#login-submit")
    page.goto(f"{site.url}/ui/people/{PERSON}/record")
    submit_eight_points(page)
    error = page.locator("#error")
    expect(error).to_contain_text("POINTS_OUTSIDE_BAND")
    expect(error).to_contain_text("违规情形 H01（较重）的记分范围为 4–6 分，收到 8 分。")
    assert not re.search(r"carries|got", error.inner_text())
    shots("zh", page)

    page.click("#lang-toggle")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    submit_eight_points(page)
    expect(error).to_contain_text("POINTS_OUTSIDE_BAND")
    expect(error).to_contain_text("Violation H01 (heavier) carries 4–6 points; got 8.")
    shots("en", page)
