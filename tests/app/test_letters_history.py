"""The printable 告知书 of a record and of a sanction (content, and who may open it), and the person page's
操作日志 read from the audit trail."""
import re
from datetime import UTC, datetime, timedelta

import pytest

from api.auth.tokens import Role
from points.dates import CHINA, china_date
from tests.app.conftest import case
from tests.app.test_pages import sign_in

pytestmark = pytest.mark.db
PERSON, OTHER = "D110105000123", "D110105000124"


@pytest.fixture
def suspended(api, people):
    """PERSON: 5 + 4 points in February 2026, suspended 21 February – 20 March; OTHER: 2 points."""
    sup = people
    r = api.client.post("/v1/practitioners", headers=sup, json={
        "code": OTHER, "name": "李娜", "category": "nursing", "institution_code": "H11010500001",
        "registered_on": "2025-01-01"})
    assert r.status_code == 201, r.text
    assert case(api, sup, 5, "2026-02-10", "H01", PERSON, "京朝医保罚〔2026〕5号").status_code == 201
    assert case(api, sup, 4, "2026-02-20", "H02", PERSON, "京朝医保罚〔2026〕4号").status_code == 201
    assert case(api, sup, 2, "2026-02-11", "L01", OTHER, "京朝医保罚〔2026〕9号").status_code == 201
    records = {c: api.client.get(f"/v1/practitioners/{c}", headers=sup).json()["records"] for c in (PERSON, OTHER)}
    return {"first": records[PERSON][0]["id"], "second": records[PERSON][1]["id"], "other": records[OTHER][0]["id"]}


def sanction_link(page: str) -> str:
    return re.search(r'href="(/ui(?:/me)?/sanctions/\d+/letter)"', page).group(1)


def deadline() -> str:
    """Recorded (and so notified) today in China; 15 days to object (the national parameter)."""
    return (china_date(datetime.now(UTC)) + timedelta(days=15)).isoformat()


def test_the_record_letter_names_authority_case_violation_points_year_consequence_and_route(api, suspended):
    sign_in(api)
    page = api.client.get(f"/ui/people/{PERSON}").text
    assert f'href="/ui/records/{suspended["second"]}/letter"' in page
    r = api.client.get(f"/ui/records/{suspended['second']}/letter")
    assert r.status_code == 200
    letter = r.text
    for text in ("医保支付资格记分告知书", "北京市朝阳区医疗保障局", "京朝医保罚〔2026〕4号", "H02", "4 分",
                 "2026 年度累计记分", "9 分", "暂停医保支付资格", "急救、抢救除外", "2026-02-21 至 2026-03-20",
                 "提出异议申诉", f"异议申诉截止日期：{deadline()}", "王伟", PERSON, 'id="print-letter"',
                 "/ui/static/letter.js"):
        assert text in letter, text
    first = api.client.get(f"/ui/records/{suspended['first']}/letter").text
    assert "京朝医保罚〔2026〕5号" in first and "5 分" in first
    api.client.get("/ui/lang", params={"to": "en", "next": "/ui/people"})
    english = api.client.get(f"/ui/records/{suspended['second']}/letter").text
    assert "Notice of points on payment eligibility" in english and f"Objections by: {deadline()}" in english


def test_the_sanction_letter_states_the_period_the_trigger_and_the_consequence(api, suspended):
    sign_in(api)
    link = sanction_link(api.client.get(f"/ui/people/{PERSON}").text)
    letter = api.client.get(link).text
    for text in ("暂停医保支付资格告知书", "2026-02-21 至 2026-03-20", "1 个月（待决定，暂按默认期限）",
                 "京朝医保罚〔2026〕4号", "不予结算", "急救、抢救除外", f"异议申诉截止日期：{deadline()}"):
        assert text in letter, text


def test_letters_are_confined_to_the_supervisors_region_and_the_persons_own(api, suspended):
    sign_in(api)
    sanction = sanction_link(api.client.get(f"/ui/people/{PERSON}").text)
    record = f"/ui/records/{suspended['second']}/letter"
    for scope, name, seen in (("110000", "北京", True), ("110105", "朝阳", True), ("000000", "国家", True),
                              ("110108", "海淀", False), ("120000", "天津", False)):
        sign_in(api, scope=scope, name=name)
        for path in (record, sanction):
            r = api.client.get(path)
            assert (r.status_code == 200) is seen, (scope, path)
            if not seen:
                assert r.status_code == 404 and "王伟" not in r.text
    # registered in a second region: that region's supervisor reads (and prints) the whole record
    tj = api.token(Role.SUPERVISOR, "120000", "天津")
    r = api.client.post("/v1/institutions", headers=tj, json={"code": "H12010100001", "name": "和平医院",
                                                              "kind": "hospital", "region": "120101"})
    assert r.status_code == 201, r.text
    r = api.client.post("/v1/registrations", headers=tj, json={
        "practitioner_code": PERSON, "institution_code": "H12010100001", "starts_on": "2026-03-01"})
    assert r.status_code == 201, r.text
    sign_in(api, scope="120000", name="天津")
    assert api.client.get(record).status_code == 200 and api.client.get(sanction).status_code == 200
    # the person prints their own letters only
    sign_in(api, Role.PRACTITIONER, PERSON, "王伟")
    me = api.client.get("/ui/me").text
    own_sanction = sanction_link(me)
    assert own_sanction == sanction.replace("/ui/", "/ui/me/")
    assert f'href="/ui/me/records/{suspended["second"]}/letter"' in me
    assert api.client.get(f"/ui/me/records/{suspended['second']}/letter").status_code == 200
    assert "暂停医保支付资格告知书" in api.client.get(own_sanction).text
    r = api.client.get(f"/ui/me/records/{suspended['other']}/letter")
    assert r.status_code == 404 and "李娜" not in r.text
    assert api.client.get(f"/ui/me/sanctions/{2**31 - 1}/letter").status_code == 404
    assert api.client.get(record, follow_redirects=False).status_code in (403, 303)  # not a supervisor's page
    sign_in(api, Role.PRACTITIONER, OTHER, "李娜")
    assert api.client.get(f"/ui/me/records/{suspended['second']}/letter").status_code == 404
    assert api.client.get(own_sanction).status_code == 404


def test_the_person_page_shows_who_changed_what_when_and_why(api, suspended, people):
    r = api.client.post(f"/v1/practitioners/{PERSON}/suspension-decisions", headers=people, json={
        "trigger_record_id": suspended["second"], "months": 3, "decided_on": "2026-03-01", "reason": "情节较重"})
    assert r.status_code == 201, r.text
    sign_in(api)
    page = api.client.get(f"/ui/people/{PERSON}").text
    section = page[page.index('id="history"'):]
    assert "操作日志" in section and "共 9 条" in section  # created, registered, 2 records, a decision, each status
    assert "决定暂停期限：暂停月数 1 → 3" in section and "情节较重" in section
    assert "记分：文书号 京朝医保罚〔2026〕4号；分值 4" in section and "登记备案：机构 H11010500001" in section
    assert re.search(r"状态变化：状态 正常 → 暂停；本年累计 5 → 9[^<]*</td><td>记分（记录 \d+）</td>", section)
    assert "建立人员档案：类别 医疗类" in section
    assert "北京市医保局 李科长（110000）" in section
    newest = api.client.get(f"/v1/practitioners/{PERSON}/history", headers=people).json()["items"][0]
    at = datetime.fromisoformat(newest["at"]).astimezone(CHINA).strftime("%Y-%m-%d %H:%M")
    assert f"<td>{at}</td>" in section  # China time
    api.client.get("/ui/lang", params={"to": "en", "next": "/ui/people"})
    english = api.client.get(f"/ui/people/{PERSON}").text
    assert "Suspension length decided: months 1 → 3" in english and "Status changed: status Normal → Suspended" in english
    assert "points (record" in english
    # another person's entries never show here; another region sees no page at all
    assert "李娜" not in section and "京朝医保罚〔2026〕9号" not in section
    sign_in(api, scope="120000", name="天津")
    assert api.client.get(f"/ui/people/{PERSON}").status_code == 404
    sign_in(api, Role.PRACTITIONER, PERSON, "王伟")
    assert 'id="history"' not in api.client.get("/ui/me").text


def test_the_history_pages_back_through_older_entries(api, suspended, monkeypatch):
    from api.web import history

    monkeypatch.setattr(history, "PER_PAGE", 2)
    sign_in(api)
    page = api.client.get(f"/ui/people/{PERSON}").text
    older = re.search(r'id="history-older" href="([^"]+)"|href="([^"]+)" id="history-older"', page)
    link = (older.group(1) or older.group(2)).replace("&amp;", "&")
    second = api.client.get(link).text
    first_rows = re.findall(r"<tr><td>(\d{4}-\d\d-\d\d \d\d:\d\d)</td><td>[^<]*</td><td>([^<]*)</td>", page)
    second_rows = re.findall(r"<tr><td>(\d{4}-\d\d-\d\d \d\d:\d\d)</td><td>[^<]*</td><td>([^<]*)</td>", second)
    assert len(first_rows) == 2 and len(second_rows) == 2 and first_rows != second_rows
    assert 'id="history-newest"' in second
    assert api.client.get(f"/ui/people/{PERSON}", params={"history": "garbage"}).status_code == 200
