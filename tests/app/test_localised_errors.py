"""Error messages in the reader's language: the API by Accept-Language (English by default, the code never
changes), the pages by their own language, from the one catalog (api/web/texts/errors.py)."""
import pytest
from fastapi.testclient import TestClient

from api.auth.tokens import Role
from tests.app.conftest import case
from tests.app.test_pages import PERSON, record_form, sign_in

pytestmark = pytest.mark.db
ZH = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}


def error_of(r):
    return r.status_code, r.json()["error"]["code"], r.json()["error"]["message"]


def test_accept_language_chooses_the_message_and_never_the_code(api, people):
    url = "/v1/practitioners/D110105999999"
    english = api.client.get(url, headers=people)
    assert error_of(english) == (404, "PRACTITIONER_NOT_FOUND", "no practitioner D110105999999")
    assert english.headers["content-language"] == "en" and english.headers["vary"] == "Accept-Language"
    assert error_of(api.client.get(url, headers={**people, "Accept-Language": "en-US"})) == error_of(english)
    chinese = api.client.get(url, headers={**people, **ZH})
    assert error_of(chinese) == (404, "PRACTITIONER_NOT_FOUND", "未找到该人员，或该人员不在您的管辖范围内。")
    assert chinese.headers["content-language"] == "zh" and chinese.headers["vary"] == "Accept-Language"
    ok = api.client.get(f"/v1/practitioners/{PERSON}", headers={**people, **ZH})
    assert ok.status_code == 200 and "content-language" not in ok.headers  # only error answers are localised


def test_a_rule_violation_names_its_specifics_in_chinese(api, people):
    r = case(api, {**people, **ZH}, 8, "2026-02-10")
    assert error_of(r) == (422, "POINTS_OUTSIDE_BAND", "违规情形 H01（较重）的记分范围为 4–6 分，收到 8 分。")
    r = case(api, people, 8, "2026-02-10")
    assert error_of(r) == (422, "POINTS_OUTSIDE_BAND", "violation H01 (heavier) carries 4–6 points, got 8")


def test_tokens_objections_and_routing_errors_speak_chinese_when_asked(api, people):
    r = api.client.get(f"/v1/practitioners/{PERSON}", headers={"Authorization": "Bearer pts1.nope", **ZH})
    assert error_of(r) == (401, "TOKEN_INVALID", "令牌无效：格式错误或签名无法验证。")
    assert case(api, people, 5, "2026-02-10").status_code == 201
    me = api.token(Role.PRACTITIONER, PERSON)
    record = api.client.get("/v1/me", headers=me).json()["records"][0]["id"]
    assert api.client.post("/v1/me/objections", headers=me, json={"record_id": record, "reason": "不服"}).status_code == 201
    r = api.client.post("/v1/me/objections", headers={**me, **ZH}, json={"record_id": record, "reason": "不服"})
    assert error_of(r) == (409, "OBJECTION_OPEN", f"记分记录 {record} 已有待复核的异议。")
    r = api.client.get("/v1/no-such-path", headers=ZH)
    assert error_of(r) == (404, "NOT_FOUND", "没有这个页面。") and r.headers["content-language"] == "zh"


def test_validation_details_are_in_the_asked_language(api, people):
    body = {"violation_code": "H01", "case_number": "C-1", "authority": "北京市朝阳区医疗保障局",
            "institution_code": "H11010500001", "people": [{"practitioner_code": PERSON, "points": "x",
                                                            "responsibility": "main"}]}
    english = api.client.post("/v1/cases", headers=people, json=body).json()["error"]
    chinese = api.client.post("/v1/cases", headers={**people, **ZH}, json=body).json()["error"]
    assert english["code"] == chinese["code"] == "INVALID_REQUEST"
    assert chinese["message"] == "请求格式有误，详见 details。"
    assert [d["loc"] for d in english["details"]] == [d["loc"] for d in chinese["details"]]
    by_field = {d["loc"][-1]: d["message"] for d in chinese["details"]}
    assert by_field["decision_date"] == "必填项。" and by_field["points"] == "应为整数。"
    assert {d["loc"][-1]: d["message"] for d in english["details"]}["decision_date"] == "Field required"


def test_a_record_form_refusal_is_in_the_pages_language(api, people):
    sign_in(api)
    r = api.client.post(f"/ui/people/{PERSON}/record", data=record_form(api, points="8"))
    assert r.status_code == 422 and "POINTS_OUTSIDE_BAND" in r.text
    assert "违规情形 H01（较重）的记分范围为 4–6 分，收到 8 分。" in r.text and "carries" not in r.text
    r = api.client.post(f"/ui/people/{PERSON}/record", data=record_form(api, points="", decision_date="31/02"))
    assert "必填项。" in r.text and "日期格式应为 YYYY-MM-DD" in r.text and "Field required" not in r.text
    api.client.get("/ui/lang", params={"to": "en"})
    r = api.client.post(f"/ui/people/{PERSON}/record", data=record_form(api, points="8"))
    assert r.status_code == 422 and "Violation H01 (heavier) carries 4–6 points; got 8." in r.text
    assert "违规情形" not in r.text


def test_error_pages_are_in_the_pages_language(api, people):
    sign_in(api)
    r = api.client.get("/ui/no-such-page")
    assert r.status_code == 404 and "没有这个页面。" in r.text and "nothing at this path" not in r.text
    r = api.client.get("/ui/people/D110105999999")
    assert r.status_code == 404 and "未找到该人员" in r.text
    api.client.get("/ui/lang", params={"to": "en"})
    assert "There is no such page." in api.client.get("/ui/no-such-page").text


def test_the_person_page_hides_repair_where_the_region_provides_none_and_says_fen(api, people):
    sign_in(api)
    assert case(api, people, 5, "2026-02-10").status_code == 201
    page = api.client.get(f"/ui/people/{PERSON}").text
    assert "本年度有效记分" in page and "可修复" not in page  # Beijing's rules provide no repair
    record = api.client.get(f"/v1/practitioners/{PERSON}", headers=people).json()["records"][0]["id"]
    assert "· 5 分</p>" in api.client.get(f"/ui/records/{record}/review").text


def test_size_limits_answer_in_the_asked_language(api, people):
    r = api.client.post("/v1/cases", headers={**people, **ZH}, content=b"x" * (4 * 1024 * 1024 + 1))
    assert error_of(r) == (413, "BODY_TOO_LARGE", "请求体过大。") and r.headers["content-language"] == "zh"
    r = api.client.get("/v1/cases", headers={**people, **ZH, "X-Padding": "x" * 17000})
    assert error_of(r)[:2] == (431, "HEADERS_TOO_LARGE") and r.headers["vary"] == "Accept-Language"


def test_an_unexpected_failure_names_the_request_in_chinese_too(api):
    def boom():
        raise RuntimeError("boom")

    api.app.add_api_route("/boom-for-languages", boom, include_in_schema=False)
    api.app.add_api_route("/ui/boom-for-languages", boom, include_in_schema=False)
    client = TestClient(api.app, raise_server_exceptions=False)  # no second lifespan: the app is running
    r = client.get("/boom-for-languages", headers={"X-Request-ID": "languages-500-01", **ZH})
    assert error_of(r) == (500, "INTERNAL_ERROR", "服务器出错，请重试，或报告请求编号 languages-500-01。")
    page = client.get("/ui/boom-for-languages", headers={"X-Request-ID": "languages-500-02"})
    assert page.status_code == 500 and "服务器出错，请重试，或报告请求编号 languages-500-02。" in page.text
    assert "the server failed" not in page.text
