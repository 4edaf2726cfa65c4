"""An institution signs in with its token and reads its staff (with a suspension about to begin) and the
notifications addressed to it, on a wide screen and a phone."""
import re

import pytest
from playwright.sync_api import expect

from api.auth.tokens import Role
from tests.e2e.conftest import PERSON, TODAY

pytestmark = [pytest.mark.e2e, pytest.mark.db]

INSTITUTION = "H11010500001"


def _nine_points_today(site, token):
    """5 + 4 points decided today: suspended from tomorrow, normal today."""
    for points, violation in ((5, "H01"), (4, "H02")):
        site.post(token, "/v1/cases", {
            "violation_code": violation, "decision_date": TODAY.isoformat(),
            "case_number": f"京朝医保罚〔2026〕{points}号", "authority": "北京市朝阳区医疗保障局",
            "institution_code": INSTITUTION,
            "people": [{"practitioner_code": PERSON, "points": points, "responsibility": "main"}]})


@pytest.mark.parametrize("width", [1280, 375])
def test_an_institution_reads_its_staff_and_notifications(site, beijing, browser, shots, console_errors, width):
    _nine_points_today(site, beijing)
    page = console_errors(browser.new_page(viewport={"width": width, "height": 900}))
    page.goto(f"{site.url}/ui")
    page.fill("#token", site.token(Role.INSTITUTION, INSTITUTION, "朝阳第一医院 医保办"))
    page.click("#login-submit")

    expect(page).to_have_url(re.compile(r"/ui/institution$"))
    expect(page.locator("#scope")).to_have_text(f"朝阳第一医院（{INSTITUTION}）")
    expect(page.locator("#inst-total")).to_have_text("共 1 人")
    row = page.locator(f"#staff tr[data-code='{PERSON}']")
    expect(row).to_contain_text("王伟")
    expect(row.locator("[data-status]")).to_have_attribute("data-status", "normal")
    expect(row.locator(".inst-coming")).to_contain_text("暂停：2026-03-02 至")
    shots(f"staff-{width}", page)

    page.click("#nav-notices")
    expect(page).to_have_url(re.compile(r"/ui/institution/notifications$"))
    expect(page.locator("#notices")).to_contain_text("京朝医保罚〔2026〕4号")
    expect(page.locator("#notices")).to_contain_text(PERSON)
    shots(f"notifications-{width}", page)

    page.click("#lang-toggle")
    expect(page.locator("h1")).to_have_text("Notifications to this institution")
    shots(f"notifications-en-{width}", page)
