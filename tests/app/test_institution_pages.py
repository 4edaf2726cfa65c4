"""An institution's pages: its staff today with status and what is coming, and the notifications (告知) addressed
to it. An institution token sees its own institution only; other roles are refused as on the other pages."""
import re

import pytest

from api.auth.tokens import Role
from api.web import institution as institution_pages
from tests.app.conftest import case
from tests.app.test_pages import login

pytestmark = pytest.mark.db

OWN, OTHER, SHANGHAI = "H11010500001", "H11010500002", "H31010100001"
PERSON, COLLEAGUE_ELSEWHERE, TWO_REGIONS, LEFT = "D110105000123", "D110105000124", "D310101000001", "D110105000125"


def _token(api, role, scope, name="x") -> str:
    return api.token(role, scope, name)["Authorization"].removeprefix("Bearer ")


def _created(r):
    assert r.status_code == 201, r.text


@pytest.fixture
def staff(api, people):
    """PERSON at OWN; COLLEAGUE_ELSEWHERE at OTHER only; TWO_REGIONS registered in Shanghai and at OWN; LEFT
    ended at OWN yesterday. `people` made OWN, OTHER and PERSON."""
    national = api.token(Role.SUPERVISOR, "000000", "国家医保局")
    _created(api.client.post("/v1/institutions", headers=national, json={
        "code": SHANGHAI, "name": "黄浦区中心医院", "kind": "hospital", "region": "310101"}))
    for code, name, at in ((COLLEAGUE_ELSEWHERE, "李娜", OTHER), (TWO_REGIONS, "张敏", SHANGHAI), (LEFT, "赵强", OWN)):
        _created(api.client.post("/v1/practitioners", headers=national, json={
            "code": code, "name": name, "category": "nursing", "institution_code": at,
            "registered_on": "2025-01-01"}))
    _created(api.client.post("/v1/registrations", headers=national, json={
        "practitioner_code": TWO_REGIONS, "institution_code": OWN, "starts_on": "2025-06-01"}))
    regs = api.client.get(f"/v1/practitioners/{LEFT}", headers=national).json()["registrations"]
    r = api.client.post(f"/v1/registrations/{regs[0]['id']}/end", headers=national,
                        json={"ends_on": "2026-02-28", "reason": "注销：离职"})
    assert r.status_code in (200, 201), r.text
    return people


def sign_in_as(api, role, scope, name="x"):
    r = login(api, _token(api, role, scope, name))
    assert r.status_code == 303, r.text
    return r


def staff_codes(html: str) -> set[str]:
    return set(re.findall(r'data-code="([A-Z0-9]+)"', html))


def test_an_institution_signs_in_to_its_own_staff(api, staff):
    r = sign_in_as(api, Role.INSTITUTION, OWN, "朝阳第一医院")
    assert r.headers["location"] == "/ui/institution"
    page = api.client.get("/ui/institution")
    assert page.status_code == 200
    assert staff_codes(page.text) == {PERSON, TWO_REGIONS}  # not another institution's, not one who left
    assert "共 2 人" in page.text
    assert "朝阳第一医院（H11010500001）" in page.text and "北京市朝阳区（110105）" in page.text
    assert 'href="/ui/institution/notifications"' in page.text  # its navigation
    assert api.client.get("/ui", follow_redirects=False).headers["location"] == "/ui/institution"


@pytest.mark.parametrize("scope, expected", [(OTHER, {COLLEAGUE_ELSEWHERE}), (SHANGHAI, {TWO_REGIONS})])
def test_each_institution_sees_only_its_own_staff(api, staff, scope, expected):
    sign_in_as(api, Role.INSTITUTION, scope)
    page = api.client.get("/ui/institution")
    assert staff_codes(page.text) == expected
    assert PERSON not in page.text


def test_an_upcoming_suspension_is_shown_before_it_begins(api, staff):
    # 9 points decided today (2026-03-01): suspended from tomorrow, normal today
    assert case(api, staff, 5, "2026-03-01", violation="H01", number="京朝医保罚〔2026〕5号").status_code == 201
    assert case(api, staff, 4, "2026-03-01", violation="H02", number="京朝医保罚〔2026〕4号").status_code == 201
    sign_in_as(api, Role.INSTITUTION, OWN)
    page = api.client.get("/ui/institution").text
    row = re.search(rf'<tr data-code="{PERSON}">(.*?)</tr>', page, re.DOTALL).group(1)
    assert 'data-status="normal"' in row
    assert re.search(r"暂停：2026-03-02 至 2026-\d\d-\d\d", row), row
    other = re.search(rf'<tr data-code="{TWO_REGIONS}">(.*?)</tr>', page, re.DOTALL).group(1)
    assert "暂停：" not in other


def test_a_termination_decided_today_is_coming_from_tomorrow(api, staff):
    assert case(api, staff, 12, "2026-03-01", violation="F01", number="京朝医保罚〔2026〕12号").status_code == 201
    sign_in_as(api, Role.INSTITUTION, OWN)
    row = re.search(rf'<tr data-code="{PERSON}">(.*?)</tr>', api.client.get("/ui/institution").text, re.DOTALL).group(1)
    assert 'data-status="normal"' in row
    assert re.search(r"终止：自 2026-03-02 起，禁止再登记至 20\d\d-\d\d-\d\d", row), row


def test_staff_are_paged_with_the_total(api, staff, monkeypatch):
    monkeypatch.setattr(institution_pages, "PER_PAGE", 1)
    sign_in_as(api, Role.INSTITUTION, OWN)
    first = api.client.get("/ui/institution").text
    second = api.client.get("/ui/institution?page=2").text
    assert staff_codes(first) == {PERSON} and staff_codes(second) == {TWO_REGIONS}  # by code
    assert "共 2 人" in first and "第 1 / 2 页" in first and 'href="/ui/institution?page=2"' in first
    assert staff_codes(api.client.get("/ui/institution?page=99").text) == {TWO_REGIONS}  # past the end: the last


@pytest.mark.parametrize("bad", ["0", "x", "-1"])
def test_a_bad_page_number_is_a_422_page_in_both_languages(api, staff, bad):
    sign_in_as(api, Role.INSTITUTION, OWN)
    r = api.client.get(f"/ui/institution?page={bad}")
    assert r.status_code == 422 and "INVALID_REQUEST" in r.text and r.headers["content-type"].startswith("text/html")
    api.client.cookies.set("points_lang", "en", path="/ui")
    r = api.client.get(f"/ui/institution/notifications?page={bad}")
    assert r.status_code == 422 and "INVALID_REQUEST" in r.text and 'lang="en"' in r.text


def test_notifications_addressed_to_the_institution_are_readable_newest_first(api, staff):
    assert case(api, staff, 2, "2026-02-10", violation="L01", number="京朝医保罚〔2026〕1号").status_code == 201
    assert case(api, staff, 3, "2026-02-20", violation="L01", code=TWO_REGIONS,
                number="京朝医保罚〔2026〕2号").status_code == 201
    sign_in_as(api, Role.INSTITUTION, OWN)
    page = api.client.get("/ui/institution/notifications").text
    assert "共 2 条" in page
    assert page.index("京朝医保罚〔2026〕2号") < page.index("京朝医保罚〔2026〕1号")  # newest first
    assert "王伟" in page and "张敏" in page

    # the other Beijing institution was told nothing; Shanghai only about its own person, registered at both
    sign_in_as(api, Role.INSTITUTION, OTHER)
    page = api.client.get("/ui/institution/notifications").text
    assert "共 0 条" in page and PERSON not in page and TWO_REGIONS not in page
    sign_in_as(api, Role.INSTITUTION, SHANGHAI)
    page = api.client.get("/ui/institution/notifications").text
    assert "共 1 条" in page and TWO_REGIONS in page and PERSON not in page


def test_other_roles_are_refused_and_institutions_stay_off_the_other_pages(api, staff):
    assert api.client.get("/ui/institution", follow_redirects=False).status_code == 303  # not signed in: login
    sign_in_as(api, Role.SUPERVISOR, "110000")
    for path in ("/ui/institution", "/ui/institution/notifications"):
        r = api.client.get(path)
        assert r.status_code == 403 and "ROLE_NOT_ALLOWED" in r.text
    sign_in_as(api, Role.PRACTITIONER, PERSON)
    assert api.client.get("/ui/institution").status_code == 403
    sign_in_as(api, Role.INSTITUTION, OWN)
    for path in ("/ui/people", f"/ui/people/{PERSON}", "/ui/me", "/ui/objections"):
        assert api.client.get(path).status_code == 403, path


def test_a_token_for_an_unknown_institution_finds_nothing(api, staff):
    sign_in_as(api, Role.INSTITUTION, "H11010599999")
    r = api.client.get("/ui/institution")
    assert r.status_code == 404 and "INSTITUTION_NOT_FOUND" in r.text


@pytest.mark.parametrize("scope, expected", [(OWN, {PERSON, TWO_REGIONS}), (OTHER, {COLLEAGUE_ELSEWHERE})])
def test_the_staff_list_exports_to_xlsx_with_chinese_headers_and_only_its_own_staff(api, staff, scope, expected):
    from io import BytesIO

    from openpyxl import load_workbook

    sign_in_as(api, Role.INSTITUTION, scope)
    assert 'href="/ui/institution/export.xlsx"' in api.client.get("/ui/institution").text
    r = api.client.get("/ui/institution/export.xlsx")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(BytesIO(r.content)).active.iter_rows(values_only=True))
    assert rows[0][:4] == ("编码", "姓名", "类别", "状态")
    assert {row[0] for row in rows[1:]} == expected
    sign_in_as(api, Role.SUPERVISOR, "110000")
    assert api.client.get("/ui/institution/export.xlsx").status_code == 403
