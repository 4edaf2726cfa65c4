"""Every page fits a phone (375 px) and a desktop (1280 px): no horizontal scrolling of the whole page (wide
tables scroll inside their own wrapper), the header wraps by words, and every form field stays inside its
card. A screenshot of each page at each width goes to test-artifacts/e2e/<page>-<width>.png.

A page added later is one line in PAGES: (name, who sees it, path; `{record}` / `{objected}` are filled in)."""
import re

import pytest
from playwright.sync_api import expect

from api.auth.tokens import Role
from tests.e2e.conftest import ARTIFACTS, PERSON, record_until_suspended

pytestmark = [pytest.mark.e2e, pytest.mark.db]

WIDTHS = (375, 1280)
PAGES = [  # (name, signed in as: supervisor / practitioner / institution / nobody, path)
    ("login", None, "/ui/login"),
    ("people", "supervisor", "/ui/people?q=王"),
    ("person", "supervisor", f"/ui/people/{PERSON}"),
    ("record-form", "supervisor", f"/ui/people/{PERSON}/record"),
    ("review-form", "supervisor", "/ui/records/{objected}/review"),
    ("objections", "supervisor", "/ui/objections"),
    ("error", "supervisor", "/ui/people/D110105999999"),
    ("me", "practitioner", "/ui/me"),
    ("objection-form", "practitioner", "/ui/me/records/{record}/objection"),
    ("todo", "supervisor", "/ui/todo"),
    ("overview", "supervisor", "/ui/overview"),
    ("record-letter", "supervisor", "/ui/records/{record}/letter"),
    ("my-record-letter", "practitioner", "/ui/me/records/{record}/letter"),
    ("institution", "institution", "/ui/institution"),
    ("institution-notices", "institution", "/ui/institution/notifications"),
]

# Form fields whose right edge passes their card's (or form's) right edge.
SPILLING = """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')]
  .filter(e => { const box = e.closest('.card, form'); if (!box) return false;
                 return e.getBoundingClientRect().right > box.getBoundingClientRect().right + 1; })
  .map(e => e.id || e.name || e.tagName)"""


def sign_in(page, site, token: str):
    page.goto(f"{site.url}/ui/login")
    page.fill("#token", token)
    page.click("#login-submit")
    expect(page).not_to_have_url(re.compile(r"/ui/login"))


@pytest.mark.parametrize("name,role,path", PAGES, ids=[p[0] for p in PAGES])
def test_the_page_fits_a_phone_and_a_desktop(site, beijing, browser, name, role, path, console_errors):
    record_until_suspended(site, beijing)
    physician = site.token(Role.PRACTITIONER, PERSON, PERSON)
    records = site.http.get(f"/v1/practitioners/{PERSON}", headers={"Authorization": f"Bearer {beijing}"}).json()
    five, four = (r["id"] for r in records["records"])
    objection = site.http.post("/v1/me/objections", headers={"Authorization": f"Bearer {physician}"},
                               json={"record_id": four, "reason": "该处方并非本人开具, 请复核" * 3})
    assert objection.status_code == 201, objection.text
    trigger = records["sanctions"][0]["trigger_record_id"]
    site.post(beijing, f"/v1/practitioners/{PERSON}/suspension-decisions", {
        "trigger_record_id": trigger, "months": 3, "decided_on": "2026-02-25", "reason": "情节较重"})

    page = browser.new_context(viewport={"width": WIDTHS[0], "height": 800}).new_page()
    if name != "error":  # the error page's own 404 is logged as a failed resource
        console_errors(page)
    if role:
        hospital = site.token(Role.INSTITUTION, "H11010500001", "朝阳第一医院")
        sign_in(page, site, {"supervisor": beijing, "practitioner": physician, "institution": hospital}[role])
    url = site.url + path.format(record=five, objected=four)
    for lang in ("zh", "en"):  # English words are longer: both languages must fit
        page.goto(f"{site.url}/ui/lang?to={lang}&next=/ui/login")
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 800})
            page.goto(url)
            page.evaluate("document.fonts.ready.then(() => true)")  # Chinese glyphs drawn before the picture
            shot = f"{name}-{width}" + ("" if lang == "zh" else "-en")
            page.screenshot(path=str(ARTIFACTS / f"{shot}.png"), full_page=True)
            scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            assert scroll <= inner, f"{shot} is {scroll} px wide"
            assert page.evaluate(SPILLING) == [], f"{shot}: fields spill out of their card"
            brand = page.locator(".bar .brand").bounding_box()
            assert brand["height"] < 50, f"{shot}: the header's title wraps letter by letter"
            for link in page.locator(".object-link").all():  # 提出异议 is on screen
                box = link.bounding_box()
                assert box["x"] >= 0 and box["x"] + box["width"] <= width, f"{shot}: 提出异议 off-screen"
