"""What is about to happen, on both sides (the issue's story): the 9th point decided today leaves the person
eligible today, and both the supervisor's person page and /ui/me say from when and until when they will not
be, who decided the length and how it was corrected; the notices say each thing once. /ui/me explains 9 and 12
points, the emergency exemption and each record's objection deadline, which the API enforces
(OBJECTION_TOO_LATE)."""
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlmodel import Session

from api.auth.tokens import Role
from api.db.models import Notification
from points.dates import china_date
from tests.app.conftest import case
from tests.app.test_pages import PERSON, hidden, record_form, sign_in

pytestmark = pytest.mark.db
TODAY = date(2026, 11, 26)


def decide(api, sup, trigger: int, months: int):
    r = api.client.post(f"/v1/practitioners/{PERSON}/suspension-decisions", headers=sup, json={
        "trigger_record_id": trigger, "months": months, "decided_on": TODAY.isoformat(), "reason": "情节较重"})
    assert r.status_code == 201, r.text


def sign_in_as_the_physician(api):
    sign_in(api, Role.PRACTITIONER, PERSON, PERSON)  # the token's name is the code, as the demo's is


def test_the_ninth_point_shows_what_follows_and_the_length_decisions_on_both_sides(api, people):
    api.clock.today = TODAY
    assert case(api, people, 5, "2026-11-20").status_code == 201
    sign_in(api)
    r = api.client.post(f"/ui/people/{PERSON}/record", data=record_form(
        api, points="4", violation_code="H02", decision_date=TODAY.isoformat(), case_number="京朝医保罚〔2026〕9号"))
    assert r.status_code == 200 and "已记分。" in r.text
    assert ("本次记分使本年度累计记分达到暂停线：将于 2026-11-27 起暂停医保支付资格至 2026-12-26"
            "（默认 1 个月，期限待决定）") in r.text
    assert 'data-status="normal"' in r.text and 'id="upcoming"' in r.text  # eligible today, not from the 27th
    trigger = api.client.get(f"/v1/practitioners/{PERSON}", headers=people).json()["sanctions"][0]["trigger_record_id"]

    decide(api, people, trigger, 3)
    decide(api, people, trigger, 2)
    page = api.client.get(f"/ui/people/{PERSON}").text
    assert "将于 2026-11-27 起暂停医保支付资格至 2027-01-26（2 个月，北京市医保局 李科长 于 2026-11-26 决定）" in page
    assert "2026-11-26，北京市医保局 李科长 决定 2026-11-27 起的暂停期限为 3 个月（默认 1 个月）。" in page
    assert "2026-11-26，北京市医保局 李科长 将 2026-11-27 起的暂停期限由 3 个月更正为 2 个月。" in page
    assert "决定部门所在地区：北京市" in page and "理由：情节较重" in page
    assert "至 2026-12-26" not in page  # the superseded end is no longer offered as the length

    sign_in_as_the_physician(api)
    me = api.client.get("/ui/me").text
    assert 'id="who-name">王伟<' in me and f'id="who-name">{PERSON}<' not in me
    assert "将于 2026-11-27 起暂停医保支付资格至 2027-01-26（2 个月" in me
    assert "将 2026-11-27 起的暂停期限由 3 个月更正为 2 个月。" in me
    with Session(api.engine) as s:
        told = s.scalars(select(Notification.message).where(
            Notification.recipient_code == PERSON, Notification.kind == "sanction").order_by(Notification.id)).all()
    assert told == ["暂停医保支付资格 2026-11-27 至 2026-12-26 (1个月, 默认期限, 待决定)",
                    "暂停医保支付资格 2026-11-27 至 2027-02-26 (期限由1个月改为3个月; 北京市医保局 李科长 2026-11-26 决定)",
                    "暂停医保支付资格 2026-11-27 至 2027-01-26 (期限由3个月改为2个月; 北京市医保局 李科长 2026-11-26 决定)"]

    api.client.get("/ui/lang", params={"to": "en", "next": "/ui/me"})
    me = api.client.get("/ui/me").text
    assert "Payment eligibility will be suspended from 2026-11-27 to 2027-01-26 (2 months, decided by" in me
    assert "corrected the suspension from 2026-11-27 from 3 to 2 months." in me


def test_the_physicians_page_explains_9_and_12_points_the_exemption_and_the_deadline(api, people):
    r = case(api, people, 5, "2026-02-10")
    notified = china_date(datetime.fromisoformat(r.json()[0]["recorded_at"]))
    deadline = notified + timedelta(days=15)
    api.clock.today = notified
    sign_in_as_the_physician(api)
    me = api.client.get("/ui/me").text
    assert "一年内累计达到 9 分：暂停医保支付资格 1–6 个月" in me
    assert "一年内累计达到 12 分：终止医保支付资格，1 年内不得再次登记备案；一次记满 12 分的，3 年内" in me
    assert "暂停期间提供的急救、抢救服务，医保基金仍予结算" in me
    assert "可在收到告知之日起 15 日内提出异议" in me
    assert f"可于 {deadline} 前（含当日）提出异议" in me and 'class="object-link"' in me
    assert "您本年度已累计 5 分，再记 4 分将达到暂停线。" in me
    api.client.get("/ui/lang", params={"to": "en", "next": "/ui/me"})
    me = api.client.get("/ui/me").text
    assert "9 points in one year: payment eligibility is suspended for 1–6 months" in me
    assert "emergency and rescue care (急救、抢救) you give while suspended is still paid" in me
    assert f"Object by {deadline} (inclusive)" in me


def test_after_the_deadline_the_link_goes_and_the_api_and_the_page_refuse_the_objection(api, people):
    r = case(api, people, 5, "2026-02-10")
    record = r.json()[0]
    deadline = china_date(datetime.fromisoformat(record["recorded_at"])) + timedelta(days=15)
    me = api.token(Role.PRACTITIONER, PERSON)
    assert api.client.get("/v1/me", headers=me).json()["records"][0]["objection_deadline"] == deadline.isoformat()
    api.clock.today = deadline + timedelta(days=1)
    r = api.client.post("/v1/me/objections", headers=me, json={"record_id": record["id"], "reason": "不服"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "OBJECTION_TOO_LATE", r.text
    sign_in_as_the_physician(api)
    page = api.client.get("/ui/me").text
    assert f"异议期限已于 {deadline} 届满" in page and 'class="object-link"' not in page
    form = api.client.get(f"/ui/me/records/{record['id']}/objection").text
    assert f"异议期限已于 {deadline} 届满" in form
    r = api.client.post(f"/ui/me/records/{record['id']}/objection", data={
        "csrf": hidden(form, "csrf"), "form_key": hidden(form, "form_key"), "reason": "不服"})
    assert r.status_code == 422 and f"异议申诉期限已于 {deadline} 届满，不能再对该记分提出异议。" in r.text
    api.clock.today = deadline  # the last day still counts
    r = api.client.post("/v1/me/objections", headers=me, json={"record_id": record["id"], "reason": "不服"})
    assert r.status_code == 201, r.text
