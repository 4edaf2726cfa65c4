"""The web pages over a real database: sign-in, scope, forms that enforce the rules and lose nothing, CSRF,
one submission per form, the language toggle, and HTML errors under /ui while the API keeps JSON."""
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from api.auth.tokens import Role
from tests.app.conftest import case

pytestmark = pytest.mark.db
PERSON = "D110105000123"


def hidden(page: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]*)"', page).group(1)


def login(api, token: str, next_path: str = "/ui", **fields):
    """Posts the login form as a browser would: with the CSRF value of the form just fetched."""
    csrf = hidden(api.client.get("/ui/login").text, "csrf")
    return api.client.post("/ui/login", data={"token": token, "next": next_path, "csrf": csrf, **fields},
                           follow_redirects=False)


def sign_in(api, role=Role.SUPERVISOR, scope="110000", name="北京市医保局 李科长"):
    token = api.token(role, scope, name)["Authorization"].removeprefix("Bearer ")
    r = login(api, token)
    assert r.status_code == 303, r.text
    return r


def record_form(api, code=PERSON, **fields):
    page = api.client.get(f"/ui/people/{code}/record").text
    form = {"csrf": hidden(page, "csrf"), "form_key": hidden(page, "form_key"), "violation_code": "H01",
            "points": "5", "responsibility": "main", "decision_date": "2026-02-10",
            "case_number": "京朝医保罚〔2026〕1号",
            "authority": "北京市朝阳区医疗保障局", "institution_code": "H11010500001"}
    return {**form, **fields}


def records_of(api, sup, code=PERSON):
    return api.client.get(f"/v1/practitioners/{code}", headers=sup).json()["records"]


def test_pages_need_sign_in_and_send_each_role_home(api, people):
    r = api.client.get("/ui/people?q=王", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/ui/login?next=")
    next_path = parse_qs(urlsplit(r.headers["location"]).query)["next"][0]
    token = api.token(Role.SUPERVISOR, "110000")["Authorization"].removeprefix("Bearer ")
    r = login(api, token, next_path)
    assert r.headers["location"] == "/ui/people?q=%E7%8E%8B"  # back where the user was going
    assert PERSON in api.client.get(r.headers["location"]).text
    r = sign_in(api)
    assert r.headers["location"] == "/ui/people"
    cookie = r.headers["set-cookie"]
    assert "points_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/ui" in cookie
    assert api.client.get("/ui", follow_redirects=False).headers["location"] == "/ui/people"


def test_bad_and_unserved_tokens_are_refused_on_the_login_page(api, people):
    r = login(api, "pts1.nope.nope")
    assert r.status_code == 401 and "TOKEN_INVALID" in r.text
    assert "points_session" not in r.headers.get("set-cookie", "")
    settlement = api.token(Role.SETTLEMENT, "110000")["Authorization"].removeprefix("Bearer ")
    r = login(api, settlement)
    assert r.status_code == 403 and "ROLE_NOT_SERVED" in r.text


def test_login_returns_only_to_our_own_pages(api, people):
    token = api.token(Role.SUPERVISOR, "110000")["Authorization"].removeprefix("Bearer ")
    for evil in ("//evil.example/ui", "https://evil.example/ui", "/ui\\@evil.example"):
        r = login(api, token, evil)
        assert r.headers["location"] == "/ui/people"


def test_search_finds_people_by_code_or_name_within_the_region_only(api, people):
    sign_in(api)
    assert PERSON in api.client.get("/ui/people", params={"q": "d1101050001"}).text
    assert PERSON in api.client.get("/ui/people", params={"q": "王"}).text
    assert PERSON not in api.client.get("/ui/people", params={"q": "张"}).text
    assert PERSON not in api.client.get("/ui/people", params={"q": "伟"}).text  # names match from the start
    for wildcard in ("%", "*", "_", "?", "["):  # LIKE and GLOB wildcards are literal
        assert 'id="people"' not in api.client.get("/ui/people", params={"q": wildcard}).text
    assert PERSON in api.client.get("/ui/people", params={"status": "normal"}).text
    assert PERSON not in api.client.get("/ui/people", params={"status": "suspended"}).text
    assert api.client.get("/ui/people", params={"status": "asleep"}).status_code == 422
    sign_in(api, scope="120000", name="天津")
    assert PERSON not in api.client.get("/ui/people", params={"q": "王"}).text
    r = api.client.get(f"/ui/people/{PERSON}")
    assert r.status_code == 404 and "PRACTITIONER_NOT_FOUND" in r.text and r.headers["content-type"].startswith(
        "text/html")


def test_recording_until_suspension_changes_the_status_and_the_picture(api, people):
    sign_in(api)
    assert api.client.post(f"/ui/people/{PERSON}/record", data=record_form(api)).status_code == 200
    page = api.client.post(f"/ui/people/{PERSON}/record", data=record_form(
        api, violation_code="H02", points="4", decision_date="2026-02-20", case_number="京朝医保罚〔2026〕2号")).text
    assert 'data-status="suspended"' in page and 'id="points-this-year">9<' in page
    assert 'class="bar level-suspend" data-year="2026" data-net="9"' in page
    assert 'data-kind="suspended" data-from="2026-02-21"' in page
    assert "已记分" in page


def test_a_form_outside_the_band_is_shown_again_with_what_was_typed_and_nothing_is_saved(api, people):
    sign_in(api)
    sup = people
    r = api.client.post(f"/ui/people/{PERSON}/record", data=record_form(api, points="9", case_number="留着我"))
    assert r.status_code == 422 and "POINTS_OUTSIDE_BAND" in r.text
    assert 'value="留着我"' in r.text and 'value="9"' in r.text
    r = api.client.post(f"/ui/people/{PERSON}/record", data=record_form(api, points="", decision_date="31/02"))
    assert r.status_code == 422 and 'id="err-points"' in r.text and 'id="err-decision_date"' in r.text
    assert records_of(api, sup) == []


def test_a_form_without_its_csrf_token_is_refused_and_a_resubmitted_form_saves_once(api, people):
    sign_in(api)
    form = record_form(api)
    r = api.client.post(f"/ui/people/{PERSON}/record", data={**form, "csrf": "forged"})
    assert r.status_code == 403 and "CSRF_FAILED" in r.text
    assert records_of(api, people) == []
    first = api.client.post(f"/ui/people/{PERSON}/record", data=form, follow_redirects=False)
    again = api.client.post(f"/ui/people/{PERSON}/record", data=form, follow_redirects=False)
    assert first.headers["location"].endswith("?done=recorded") and again.headers["location"].endswith("?done=replayed")
    assert len(records_of(api, people)) == 1


def test_deciding_a_suspension_length_moves_the_return_date_and_it_can_be_corrected(api, people):
    sign_in(api)
    for points, day in ((5, "2026-02-10"), (4, "2026-02-20")):
        assert case(api, people, points, day, violation="H01" if points == 5 else "H02").status_code == 201
    page = api.client.get(f"/ui/people/{PERSON}").text
    assert 'id="decide"' in page and 'id="eligible-again">2026-03-21<' in page and "待决定" in page

    def form(page, **fields):
        return {"csrf": hidden(page, "csrf"), "form_key": hidden(page, "form_key"),
                "trigger_record_id": hidden(page, "trigger_record_id"), "decided_on": "2026-03-01",
                "reason": "情节较重", **fields}

    for fields, shown in (({"months": "7"}, "暂停期限须为 1–6 个月，收到 7 个月。"),
                          ({"months": "3", "decided_on": "2026-02-19"},
                           "决定日期 2026-02-19 须在触发暂停的记分时点 2026-02-20 与今天")):
        r = api.client.post(f"/ui/people/{PERSON}/suspension-decisions", data=form(page, **fields))
        assert r.status_code == 422 and shown in r.text
    page = api.client.post(f"/ui/people/{PERSON}/suspension-decisions", data=form(page, months="3")).text
    assert 'id="eligible-again">2026-05-21<' in page and 'id="decide"' in page  # kept for a correction
    assert "已决定 3 个月（北京市医保局 李科长，2026-03-01）" in page
    page = api.client.post(f"/ui/people/{PERSON}/suspension-decisions", data=form(page, months="2")).text
    assert 'id="eligible-again">2026-04-21<' in page and "已决定 2 个月" in page


def test_a_practitioner_objects_on_their_page_and_a_supervisor_annuls_the_record(api, people):
    assert case(api, people, 5, "2026-02-10").status_code == 201
    assert case(api, people, 4, "2026-02-20", violation="H02").status_code == 201
    record_id = records_of(api, people)[1]["id"]
    sign_in(api, Role.PRACTITIONER, PERSON, "王伟")
    me = api.client.get("/ui/me").text
    assert 'data-status="suspended"' in me and f"/ui/me/records/{record_id}/objection" in me
    assert api.client.get("/ui/people", follow_redirects=False).status_code == 403
    page = api.client.get(f"/ui/me/records/{record_id}/objection").text
    form = {"csrf": hidden(page, "csrf"), "form_key": hidden(page, "form_key")}
    assert api.client.post(f"/ui/me/records/{record_id}/objection", data=form).status_code == 422
    r = api.client.post(f"/ui/me/records/{record_id}/objection", data={**form, "reason": "该处方并非本人开具"})
    assert r.status_code == 200 and "异议已提交" in r.text
    other = api.client.get(f"/ui/me/records/{2**31 - 1}/objection")
    assert other.status_code == 404 and "RECORD_NOT_FOUND" in other.text

    sign_in(api)
    assert "该处方并非本人开具" in api.client.get("/ui/objections").text
    page = api.client.get(f"/ui/records/{record_id}/review").text
    form = {"csrf": hidden(page, "csrf"), "form_key": hidden(page, "form_key"), "outcome": "annul",
            "decided_on": "2026-03-01", "reason": "异议成立"}
    page = api.client.post(f"/ui/records/{record_id}/review", data=form).text
    assert 'data-status="normal"' in page and "复核已保存" in page
    assert "该处方并非本人开具" not in api.client.get("/ui/objections").text


def test_the_language_toggle_switches_to_english_and_back(api, people):
    sign_in(api)
    r = api.client.get("/ui/lang", params={"to": "en", "next": f"/ui/people/{PERSON}"}, follow_redirects=False)
    assert r.headers["location"] == f"/ui/people/{PERSON}" and "points_lang=en" in r.headers["set-cookie"]
    page = api.client.get(f"/ui/people/{PERSON}").text
    assert "Points this year" in page and '<html lang="en">' in page
    api.client.get("/ui/lang", params={"to": "zh", "next": "//evil.example"})
    assert "本年度有效记分" in api.client.get(f"/ui/people/{PERSON}").text
    assert api.client.get("/ui/lang", params={"to": "fr"}).status_code == 422


def test_errors_are_pages_under_ui_and_json_in_the_api(api, people):
    sign_in(api)
    page = api.client.get("/ui/people/D110105999999")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "PRACTITIONER_NOT_FOUND" in page.text or "NOT_FOUND" in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    bad = api.client.get("/ui/records/0/review")
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("text/html")
    sup = api.token(Role.SUPERVISOR, "110000")
    assert api.client.get("/v1/practitioners/D110105999999", headers=sup).json()["error"]["code"]
