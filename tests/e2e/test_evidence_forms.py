"""Evidence and form fixes in Chromium: the physician files an objection with a PNG; the supervisor sees the
file on the review page and downloads it as an attachment; the review form's points input carries the record's
band, so the browser refuses 8 points in a 4–6 band before anything is sent. Screenshots at 1280 and 375 px."""
import re

import pytest
from playwright.sync_api import expect

from api.auth.tokens import Role
from tests.e2e.conftest import PERSON

pytestmark = [pytest.mark.e2e, pytest.mark.db]
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)
WIDE, NARROW = {"width": 1280, "height": 900}, {"width": 375, "height": 800}


def sign_in(page, site, token: str):
    page.goto(f"{site.url}/ui")
    expect(page).to_have_url(re.compile(r"/ui/login"))
    page.fill("#token", token)
    page.click("#login-submit")


def both_widths(shots, name: str, page):
    page.set_viewport_size(WIDE)
    shots(f"{name}-1280", page)
    page.set_viewport_size(NARROW)
    shots(f"{name}-375", page)
    page.set_viewport_size(WIDE)


def test_a_png_filed_with_an_objection_reaches_the_review_page_whose_band_the_browser_enforces(
        site, beijing, browser, shots, console_errors):
    [record] = site.post(beijing, "/v1/cases", {
        "violation_code": "H01", "decision_date": "2026-02-10", "case_number": "京朝医保罚〔2026〕5号",
        "authority": "北京市朝阳区医疗保障局", "institution_code": "H11010500001",
        "people": [{"practitioner_code": PERSON, "points": 5, "responsibility": "main"}]})

    physician = console_errors(browser.new_context(viewport=WIDE).new_page())
    sign_in(physician, site, site.token(Role.PRACTITIONER, PERSON, "王伟"))
    physician.click(f"tr[data-record='{record['id']}'] .object-link")
    files = physician.locator("#f-evidence")
    files.set_input_files([{"name": "too-big.png", "mimeType": "image/png", "buffer": PNG + bytes(5 * 1024 * 1024)}])
    assert physician.eval_on_selector("#f-evidence", "e => e.validity.customError")  # refused before sending
    files.set_input_files([{"name": "处方照片.png", "mimeType": "image/png", "buffer": PNG}])
    assert physician.eval_on_selector("#f-evidence", "e => e.validity.valid")
    physician.fill("#f-reason", "该处方并非本人开具，见附件照片")
    both_widths(shots, "objection-form", physician)
    physician.click("#objection-submit")
    expect(physician.locator("#flash")).to_be_visible()
    expect(physician.locator(".evidence-link")).to_have_text("处方照片.png")
    both_widths(shots, "own-record", physician)

    supervisor = console_errors(browser.new_context(viewport=WIDE).new_page())
    sign_in(supervisor, site, beijing)
    supervisor.goto(f"{site.url}/ui/objections")
    supervisor.click(f"a[href='/ui/records/{record['id']}/review']")
    link = supervisor.locator("#record-objections .evidence-link")
    expect(link).to_have_text("处方照片.png")
    got = supervisor.request.get(site.url + link.get_attribute("href"))
    assert got.ok and got.body() == PNG and got.headers["content-type"] == "image/png"
    assert got.headers["content-disposition"].startswith("attachment;")
    assert got.headers["x-content-type-options"] == "nosniff"

    expect(supervisor.locator("#review-band")).to_have_text("该情形的分值档：4–6 分")
    supervisor.check("#outcome-change")
    supervisor.fill("#f-points", "8")
    supervisor.fill("#f-reason", "变更")
    assert supervisor.eval_on_selector("#f-points", "e => e.validity.rangeOverflow")
    supervisor.click("#review-submit")  # the browser keeps the form: nothing is sent
    expect(supervisor).to_have_url(re.compile(r"/review$"))
    both_widths(shots, "review-band", supervisor)
    supervisor.fill("#f-points", "4")
    supervisor.click("#review-submit")
    expect(supervisor.locator("#flash")).to_be_visible()
    expect(supervisor.locator(f"tr[data-record='{record['id']}']")).to_contain_text("4")
