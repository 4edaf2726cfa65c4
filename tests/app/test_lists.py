"""The supervisors' lists: filters (status, institution, violation type, date range), 共 N 条, pages of 50 whose
links keep the filters, the .xlsx export of the same filters, and region confinement of all of them."""
import io
import re

import pytest
from openpyxl import load_workbook

from api.auth.tokens import Role
from tests.app.conftest import case
from tests.app.test_pages import sign_in

pytestmark = pytest.mark.db
BEIJING_A, BEIJING_B = "D110105000100", "D110105000101"
TIANJIN, BOTH = "D120101000001", "D120101000002"  # BOTH: a Tianjin person also registered in Beijing


def institution(api, sup, code, name, region):
    r = api.client.post("/v1/institutions", headers=sup, json={"code": code, "name": name, "kind": "hospital",
                                                               "region": region})
    assert r.status_code == 201, r.text


def register(api, sup, code, name, at):
    body = {"code": code, "name": name, "category": "medical", "institution_code": at, "registered_on": "2025-01-01"}
    r = api.client.post("/v1/practitioners", headers=sup, json=body)
    assert r.status_code == 201, r.text


@pytest.fixture
def regions(api):
    """Beijing: 60 people at H11010500001 (A and B with records), one at H11010500002; Tianjin: TIANJIN, and BOTH
    who is registered in Beijing too."""
    bj = api.token(Role.SUPERVISOR, "110000", "北京市医保局")
    tj = api.token(Role.SUPERVISOR, "120000", "天津市医保局")
    institution(api, bj, "H11010500001", "朝阳第一医院", "110105")
    institution(api, bj, "H11010800001", "海淀医院", "110108")
    institution(api, tj, "H12010100001", "和平医院", "120101")
    for n in range(60):
        register(api, bj, f"D110105{100 + n:06d}", f"王{n:02d}", "H11010500001")
    register(api, bj, "D110108000001", "=HYPERLINK(\"x\")", "H11010800001")  # a name that looks like a formula
    register(api, tj, TIANJIN, "赵天津", "H12010100001")
    register(api, tj, BOTH, "钱两地", "H12010100001")
    r = api.client.post("/v1/registrations", headers=bj, json={
        "practitioner_code": BOTH, "institution_code": "H11010500001", "starts_on": "2026-03-01"})
    assert r.status_code == 201, r.text
    assert case(api, bj, 5, "2026-02-10", "H01", BEIJING_A, "京朝医保罚〔2026〕1号").status_code == 201
    assert case(api, bj, 2, "2026-01-05", "L01", BEIJING_B, "京朝医保罚〔2026〕2号").status_code == 201
    return bj, tj


def codes(page: str) -> list[str]:
    return re.findall(r'<a href="/ui/people/([A-Z0-9]+)">', page)


def total(page: str) -> int:
    return int(re.search(r'data-total="(\d+)"', page).group(1))


def test_total_and_pages_of_fifty_whose_links_keep_the_filters(api, regions):
    sign_in(api, scope="110000", name="北京市医保局")
    first = api.client.get("/ui/people", params={"q": "D1101"}).text
    assert total(first) == 61 and "共 61 条" in first and "第 1 / 2 页" in first
    assert len(codes(first)) == 50 and codes(first)[0] == BEIJING_A
    link = re.search(r'href="(/ui/people\?[^"]*page=2)"', first).group(1).replace("&amp;", "&")
    assert "q=D1101" in link
    second = api.client.get(link).text
    assert len(codes(second)) == 11 and not set(codes(first)) & set(codes(second))
    assert total(api.client.get("/ui/people", params={"q": "D1101", "page": "99"}).text) == 61  # the last page
    assert 'href="/ui/people/export.xlsx?q=D1101"' in first


def test_filters_by_status_institution_violation_and_decision_dates(api, regions):
    sign_in(api, scope="110000", name="北京市医保局")

    def listed(**params):
        return codes(api.client.get("/ui/people", params=params).text)

    assert listed(violation="H01") == [BEIJING_A]
    assert listed(violation="h01", to="2026-02-09") == []
    assert listed(**{"from": "2026-01-01", "to": "2026-01-31"}) == [BEIJING_B]
    assert listed(**{"from": "2026-01-01"}) == [BEIJING_A, BEIJING_B]
    assert listed(institution="H11010800001") == ["D110108000001"]
    assert listed(institution="H11010500001", q="D12") == [BOTH]  # registered in two regions
    assert listed(institution="H11010500001", violation="H01") == [BEIJING_A]  # a record made there
    assert listed(institution="H11010800001", **{"from": "2026-01-01"}) == []
    assert listed(status="normal", violation="L01") == [BEIJING_B]
    assert listed(status="suspended") == []


def test_an_annulled_record_no_longer_matches_its_violation(api, regions):
    bj, _ = regions
    record = next(r for r in api.client.get(f"/v1/practitioners/{BEIJING_A}", headers=bj).json()["records"])
    r = api.client.post(f"/v1/records/{record['id']}/reviews", headers=bj, json={
        "outcome": "annul", "decided_on": "2026-03-01", "reason": "事实不清"})
    assert r.status_code == 201, r.text
    sign_in(api, scope="110000", name="北京市医保局")
    assert "共 0 条" in api.client.get("/ui/people", params={"violation": "H01"}).text


REGION_CASES = [
    ("110000", 62, {BEIJING_A, BOTH, "D110108000001"}, {TIANJIN}),       # the province: all of Beijing
    ("110105", 61, {BEIJING_A, BOTH}, {"D110108000001", TIANJIN}),       # a district below it
    ("120000", 2, {TIANJIN, BOTH}, {BEIJING_A, "D110108000001"}),        # another region; BOTH registered in two
    ("000000", 63, {BEIJING_A, BOTH, TIANJIN, "D110108000001"}, set()),  # the nation, above all
]


def test_lists_totals_and_exports_hold_only_the_supervisors_region(api, regions):
    for scope, expected, sees, hidden in REGION_CASES:
        sign_in(api, scope=scope, name=f"医保局 {scope}")
        assert total(api.client.get("/ui/people").text) == expected, scope
        r = api.client.get("/ui/people/export.xlsx")
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxmlformats")
        rows = list(load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
        exported = {row[0] for row in rows[1:]}
        assert len(exported) == expected and sees <= exported and not hidden & exported, scope


def test_the_export_has_chinese_headers_and_values_and_follows_the_filters(api, regions, monkeypatch):
    from api.web import export

    monkeypatch.setattr(export, "CHUNK", 7)  # many chunks: rows are read in keyset steps, none lost or repeated
    sign_in(api, scope="110000", name="北京市医保局")
    r = api.client.get("/ui/people/export.xlsx", params={"q": "D1101"})
    assert r.status_code == 200 and 'filename="people-2026-03-01.xlsx"' in r.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(r.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert sheet.title == "人员"
    assert rows[0] == ("人员编码", "姓名", "类别", "地区代码", "地区", "状态", "状态截至", "状态更新于")
    assert len(rows) == 62 and len({row[0] for row in rows[1:]}) == 61
    assert rows[1][:6] == (BEIJING_A, "王00", "医疗类", "110105", "北京市朝阳区", "正常")
    formula = load_workbook(io.BytesIO(api.client.get("/ui/people/export.xlsx",
                                                      params={"institution": "H11010800001"}).content)).active
    cell = list(formula.iter_rows())[1][1]
    assert cell.value == '=HYPERLINK("x")' and cell.data_type == "s"  # kept as text, never run
    only = api.client.get("/ui/people/export.xlsx", params={"violation": "H01"}).content
    assert [row[0] for row in load_workbook(io.BytesIO(only)).active.iter_rows(min_row=2, values_only=True)] == [
        BEIJING_A]
    api.client.get("/ui/lang", params={"to": "en", "next": "/ui/people"})
    english = load_workbook(io.BytesIO(api.client.get("/ui/people/export.xlsx",
                                                      params={"violation": "H01"}).content)).active
    assert english.title == "People"
    assert [c.value for c in english[1]][:6] == ["Code", "Name", "Category", "Region code", "Region", "Status"]
    assert [c.value for c in english[2]][2:6] == ["Medical", "110105", "北京市朝阳区", "Normal"]


BAD_FILTERS = [
    ({"from": "2026-02-30"}, "from", "日期格式应为 YYYY-MM-DD", "A date is YYYY-MM-DD"),
    ({"from": "2026-03-01", "to": "2026-02-01"}, "to", "开始日期不能晚于结束日期", "The start date cannot be after"),
    ({"status": "asleep"}, "status", "没有这种状态", "There is no such status"),
    ({"violation": "ZZ9"}, "violation", "没有这种违规情形代码", "There is no such violation type"),
    ({"institution": "X1"}, "institution", "机构代码应为 H 或 P", "An institution code is H or P"),
    ({"institution": "H12010100001"}, "institution", "未找到该机构", "No such institution"),  # another region's
]


def test_bad_filters_say_what_is_wrong_in_both_languages_and_keep_what_was_typed(api, regions):
    sign_in(api, scope="110000", name="北京市医保局")
    for params, field, zh, en in BAD_FILTERS:
        for lang, text in (("zh", zh), ("en", en)):
            api.client.get("/ui/lang", params={"to": lang, "next": "/ui/people"})
            r = api.client.get("/ui/people", params=params)
            assert r.status_code == 422 and f'id="filter-err-{field}"' in r.text and text in r.text, params
            assert f'value="{params[field]}"' in r.text
            assert 'id="people"' not in r.text and 'id="list-export"' not in r.text
        r = api.client.get("/ui/people/export.xlsx", params=params, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/ui/people?"), params


def test_the_objections_list_filters_counts_pages_and_exports(api, regions):
    me = api.token(Role.PRACTITIONER, BEIJING_A, "王00")
    record = api.client.get("/v1/me", headers=me).json()["records"][0]
    r = api.client.post("/v1/me/objections", headers=me, json={"record_id": record["id"], "reason": "=并非本人"})
    assert r.status_code == 201, r.text
    sign_in(api, scope="110000", name="北京市医保局")
    page = api.client.get("/ui/objections").text
    assert "共 1 条" in page and "=并非本人" in page and 'option value="open" selected' in page
    assert "共 0 条" in api.client.get("/ui/objections", params={"violation": "L01"}).text
    assert "共 0 条" in api.client.get("/ui/objections", params={"status": "reviewed"}).text
    assert "共 1 条" in api.client.get("/ui/objections", params={"status": "", "institution": "H11010500001"}).text
    sheet = load_workbook(io.BytesIO(api.client.get("/ui/objections/export.xlsx").content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("提出时间（北京时间）", "处理状态", "人员编码", "姓名")
    assert rows[1][1:5] == ("待复核", BEIJING_A, "王00", "京朝医保罚〔2026〕1号") and "H01" in rows[1][6]
    assert rows[1][9] == "=并非本人"
    sign_in(api, scope="120000", name="天津市医保局")  # another region's supervisor: not theirs to review
    assert "共 0 条" in api.client.get("/ui/objections").text
    assert len(list(load_workbook(io.BytesIO(api.client.get("/ui/objections/export.xlsx").content))
                    .active.iter_rows())) == 1
