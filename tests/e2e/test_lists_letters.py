"""In Chromium: a supervisor filters the people list, sees 共 N 条, downloads the .xlsx export, opens a record's
告知书 and prints it (print media hides the navigation and the buttons); at 1280 and 375 px."""
import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from api.auth.tokens import Role
from tests.e2e.conftest import PERSON, record_until_suspended
from tests.e2e.test_pages_in_chromium import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.db]


@pytest.mark.parametrize("width", [1280, 375])
def test_filter_export_and_print_a_letter(site, beijing, browser, shots, console_errors, tmp_path, width):
    record_until_suspended(site, beijing)
    site.post(beijing, "/v1/practitioners", {"code": "D110105000124", "name": "李娜", "category": "nursing",
                                             "institution_code": "H11010500001", "registered_on": "2025-01-01"})
    context = browser.new_context(viewport={"width": width, "height": 900}, accept_downloads=True)
    page = console_errors(context.new_page())
    sign_in(page, site, beijing)
    expect(page.locator("#list-total")).to_have_text("共 2 条")

    page.select_option("#filter-violation", "H01")
    page.fill("#filter-from", "2026-02-01")
    page.fill("#filter-to", "2026-02-28")
    page.click("#search-submit")
    expect(page.locator("#list-total")).to_have_text("共 1 条")
    expect(page.locator("#people")).to_contain_text("王伟")
    expect(page.locator("#people")).not_to_contain_text("李娜")
    shots(f"filtered-{width}", page)

    with page.expect_download() as download:
        page.click("#list-export")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    sheet = load_workbook(saved).active
    rows = list(sheet.iter_rows(values_only=True))
    assert download.value.suggested_filename == "people-2026-03-01.xlsx"
    assert rows[0][:6] == ("人员编码", "姓名", "类别", "地区代码", "地区", "状态") and len(rows) == 2
    assert rows[1][:3] == (PERSON, "王伟", "医疗类")

    typo = context.new_page()  # a 422 page: not watched for console errors
    typo.goto(f"{site.url}/ui/people?from=2026-02-30")
    expect(typo.locator("#filter-err-from")).to_contain_text("日期格式应为")
    expect(typo.locator("#filter-from")).to_have_value("2026-02-30")  # kept as typed
    typo.close()

    page.goto(f"{site.url}/ui/people/{PERSON}")
    page.locator("#records tr", has_text="京朝医保罚〔2026〕4号").locator(".letter-link").click()
    expect(page.locator(".letter-title")).to_have_text("医保支付资格记分告知书")
    expect(page.locator("#letter-year-total")).to_have_text("9 分")
    expect(page.locator("#letter-consequence")).to_contain_text("暂停医保支付资格")
    page.evaluate("window.print = () => { window.printed = true; }")
    page.click("#print-letter")
    assert page.evaluate("window.printed === true")
    shots(f"letter-screen-{width}", page)
    page.emulate_media(media="print")
    expect(page.locator("header.bar")).to_be_hidden()
    expect(page.locator("#print-letter")).to_be_hidden()
    expect(page.locator("#letter-facts")).to_be_visible()
    shots(f"letter-print-{width}", page)
    page.emulate_media(media="screen")

    page.goto(f"{site.url}/ui/people/{PERSON}#history")
    expect(page.locator("#history-rows")).to_contain_text("状态变化：状态 正常 → 暂停")
    expect(page.locator("#history-total")).to_have_text("共 7 条")  # created, registered, 2 records, 3 status changes
    shots(f"history-{width}", page)

    physician = console_errors(browser.new_context(viewport={"width": width, "height": 900}).new_page())
    sign_in(physician, site, site.token(Role.PRACTITIONER, PERSON, "王伟"))
    physician.locator("#sanctions .letter-link").first.click()
    expect(physician.locator(".letter-title")).to_have_text("暂停医保支付资格告知书")
    physician.emulate_media(media="print")
    shots(f"own-sanction-letter-print-{width}", physician)
