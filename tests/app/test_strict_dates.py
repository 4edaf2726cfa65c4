"""Strict dates everywhere (issue 12): only YYYY-MM-DD in 2000-01-01..2099-12-31, refused the same way by the
single check (fast path and route), batch lines, every body that takes a date, the pages and the CSV import."""
from datetime import date, datetime

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel, ValidationError
from sqlmodel import Session

from api.auth.tokens import Role
from api.dates import Day
from api.main import create_app
from api.practitioners.importer import import_practitioners
from api.settings import Settings
from points.dates import parse_day
from points.errors import RuleViolation
from tests.app.conftest import SECRET, case
from tests.app.test_pages import hidden, record_form, records_of, sign_in

CODE = "D110105000123"
# the inputs seen accepted in issue 12, and their neighbours
BAD = [("20250420", "INVALID_DATE"), ("2025-W17-1", "INVALID_DATE"), ("2025-05-05T00:00:00", "INVALID_DATE"),
       (1746403200, "INVALID_DATE"), ("2026-02-30", "INVALID_DATE"), ("0001-01-01", "DATE_OUT_OF_RANGE"),
       ("9999-12-31", "DATE_OUT_OF_RANGE")]


def message_of(value) -> str:
    with pytest.raises(RuleViolation) as caught:
        parse_day(value)
    return caught.value.message


def without_id(response) -> dict:
    """The error body without its request id (each request has its own)."""
    body = response.json()
    body["error"].pop("request_id", None)
    return body


def refusal(code: str, value, loc: list) -> dict:
    """The one answer to a bad date: its code, the parser's message, and where it was."""
    message = message_of(value)
    return {"error": {"code": code, "message": message, "details": [{"loc": loc, "message": message}]}}


# --- the single check: the fast path and the documented route answer alike --------------------------------------

@pytest.fixture
def both(api, people, policy, tmp_path):
    routed = create_app(api.engine, Settings(secret_key=SECRET.decode(), data_dir=tmp_path), policy, api.clock,
                        fast_path=False)
    with TestClient(routed) as slow:
        yield api.client, slow, api.token(Role.SETTLEMENT, "000000")


@pytest.mark.parametrize("value,code", BAD)
def test_the_single_check_refuses_a_bad_date_alike_on_both_paths(both, value, code):
    fast, slow, settle = both
    params = {"code": CODE, "date": str(value)}
    a, b = (client.get("/v1/eligibility", params=params, headers=settle) for client in (fast, slow))
    assert (a.status_code, without_id(a)) == (b.status_code, without_id(b)) == (
        422, refusal(code, str(value), ["query", "date"]))


def test_the_single_check_echoes_the_date_as_sent_which_is_yyyy_mm_dd(both):
    fast, slow, settle = both
    for client in (fast, slow):
        r = client.get("/v1/eligibility", params={"code": CODE, "date": "2026-02-20"}, headers=settle)
        assert (r.status_code, r.json()["date"]) == (200, "2026-02-20")


# --- batch lines ---------------------------------------------------------------------------------------------------

def test_a_batch_line_with_a_bad_date_fails_alone_with_the_same_code_and_message_and_echoes_it_raw(api, people):
    settle = api.token(Role.SETTLEMENT, "000000")
    lines = [{"ref": "ok", "code": CODE, "date": "2026-02-20"}]
    for i, (value, _) in enumerate(BAD):
        lines += [{"ref": f"k{i}", "code": CODE, "date": value}, {"ref": f"u{i}", "code": "D110105999999", "date": value}]
    r = api.client.post("/v1/eligibility/batch", headers=settle, json=lines)
    assert r.status_code == 200
    answers = r.json()
    assert (answers[0]["date"], answers[0]["reason"]) == ("2026-02-20", "ELIGIBLE")
    for line, answer in zip(lines[1:], answers[1:]):
        value = line["date"]
        single = api.client.get("/v1/eligibility", params={"code": line["code"], "date": value}, headers=settle)
        expected = {"code": dict(BAD)[value], "message": message_of(value)}
        assert answer == {"ref": line["ref"], "code": line["code"], "date": value, "error": expected}
        if type(value) is str:  # a query parameter is always text: the number arrives as "1746403200"
            assert {k: single.json()["error"][k] for k in ("code", "message")} == expected


# --- every body that takes a date -----------------------------------------------------------------------------------

BODIES = [  # (route, body with the date as {}, the date's location, role)
    ("/v1/cases", {"violation_code": "H01", "decision_date": {}, "case_number": "C-1", "authority": "朝阳医保局",
                   "institution_code": "H11010500001", "people": [{"practitioner_code": CODE, "points": 5}]},
     ["body", "decision_date"], Role.SUPERVISOR),
    ("/v1/practitioners", {"code": "D110105000200", "name": "李娜", "category": "medical",
                           "institution_code": "H11010500001", "registered_on": {}}, ["body", "registered_on"],
     Role.SUPERVISOR),
    ("/v1/registrations", {"practitioner_code": CODE, "institution_code": "H11010500002", "starts_on": {}},
     ["body", "starts_on"], Role.SUPERVISOR),
    ("/v1/records/1/reviews", {"outcome": "confirm", "decided_on": {}, "reason": "复核"}, ["body", "decided_on"],
     Role.SUPERVISOR),
    (f"/v1/practitioners/{CODE}/repairs", {"activity_date": {}, "activity": "宣传"}, ["body", "activity_date"],
     Role.SUPERVISOR),
    (f"/v1/practitioners/{CODE}/suspension-decisions", {"year": 2026, "months": 3, "decided_on": {}, "reason": "情节较重"},
     ["body", "decided_on"], Role.SUPERVISOR),
    ("/v1/registrations/1/end", {"ends_on": {}, "reason": "注销: 离职"}, ["body", "ends_on"], Role.SUPERVISOR),
    ("/v1/claims", [{"ref": "R-1", "institution_code": "H11010500001", "practitioner_code": CODE,
                     "service_date": {}, "amount": "10.00"}], ["body", 0, "service_date"], Role.SETTLEMENT),
]


def _with(body, value):
    if isinstance(body, list):
        return [_with(body[0], value)]
    return {k: value if v == {} else v for k, v in body.items()}


@pytest.mark.parametrize("route,body,loc,role", BODIES, ids=[b[0] for b in BODIES])
def test_every_body_date_is_refused_with_the_date_code_and_nothing_changes(api, people, route, body, loc, role):
    headers = api.token(role, "110000" if role is Role.SUPERVISOR else "000000")
    before = api.client.get(f"/v1/practitioners/{CODE}", headers=people).json()
    for value, code in BAD:
        r = api.client.post(route, headers=headers, json=_with(body, value))
        assert (r.status_code, without_id(r)) == (422, refusal(code, value, loc)), value
    assert api.client.get(f"/v1/practitioners/{CODE}", headers=people).json() == before
    assert api.client.get("/v1/practitioners/D110105000200", headers=people).status_code == 404


def test_a_bad_date_among_other_faults_is_an_invalid_request_listing_them_all(api, people):
    r = api.client.post("/v1/cases", headers=people, json={
        "violation_code": "H01", "decision_date": "20260210", "case_number": "C-1", "authority": "朝阳医保局",
        "institution_code": "H11010500001", "people": [{"practitioner_code": CODE, "points": 13}]})
    error = r.json()["error"]
    assert (r.status_code, error["code"]) == (422, "INVALID_REQUEST")
    assert [d["loc"] for d in error["details"]] == [["body", "decision_date"], ["body", "people", 0, "points"]]


def test_a_year_outside_the_range_is_refused(api, people):
    r = api.client.post(f"/v1/practitioners/{CODE}/suspension-decisions", headers=people,
                        json={"year": 1999, "months": 3, "decided_on": "2026-02-12", "reason": "情节较重"})
    assert (r.status_code, r.json()["error"]["code"]) == (422, "INVALID_REQUEST")
    assert [d["loc"] for d in r.json()["error"]["details"]] == [["body", "year"]]


def test_the_openapi_documents_every_date_as_a_date_within_the_range(api):
    spec = api.client.get("/openapi.json").json()
    [query] = [p for p in spec["paths"]["/v1/eligibility"]["get"]["parameters"] if p["name"] == "date"]
    assert query["schema"]["format"] == "date" and "2000-01-01..2099-12-31" in query["description"]
    schemas = spec["components"]["schemas"]
    for model, field in (("CaseCreate", "decision_date"), ("ClaimIn", "service_date"), ("ReviewIn", "decided_on"),
                         ("RegistrationCreate", "starts_on"), ("PractitionerRegister", "registered_on"),
                         ("RepairCreate", "activity_date"), ("SuspensionDecisionCreate", "decided_on"),
                         ("RegistrationEnd", "ends_on")):
        assert schemas[model]["properties"][field]["format"] == "date", (model, field)
    year = schemas["SuspensionDecisionCreate"]["properties"]["year"]
    assert {"type": "integer", "minimum": 2000, "maximum": 2099}.items() <= next(
        s for s in year.get("anyOf", [year]) if s.get("type") == "integer").items()


class Form(BaseModel):
    on: Day
    until: Day | None = None


def test_the_pydantic_type_uses_the_parser_and_names_the_code():
    assert Form.model_validate({"on": "2026-03-01"}).on == date(2026, 3, 1)
    assert Form(on=date(2026, 3, 1)).on == date(2026, 3, 1)  # Python callers pass dates
    for value, code in (*BAD, (datetime(2026, 3, 1), "INVALID_DATE")):
        with pytest.raises(ValidationError) as caught:
            Form.model_validate({"on": "2026-03-01", "until": value})
        [error] = caught.value.errors()
        assert (error["type"], error["msg"], error["loc"]) == (code, message_of(value), ("until",))


# --- the pages and the CSV import -----------------------------------------------------------------------------------

def test_the_record_page_refuses_a_bad_date_in_the_pages_language_and_saves_nothing(api, people):
    sign_in(api)
    r = api.client.post(f"/ui/people/{CODE}/record", data=record_form(api, decision_date="20260210"))
    assert r.status_code == 422 and 'id="err-decision_date"' in r.text and 'value="20260210"' in r.text
    assert "日期格式应为 YYYY-MM-DD" in r.text
    api.client.get("/ui/lang", params={"to": "en"})
    r = api.client.post(f"/ui/people/{CODE}/record", data=record_form(api, decision_date="9999-12-31"))
    assert r.status_code == 422 and "The date must lie between 2000-01-01 and 2099-12-31." in r.text
    assert records_of(api, people) == []


def test_the_decide_form_refuses_a_date_out_of_range(api, people):
    sign_in(api)
    for points, day in ((5, "2026-02-10"), (4, "2026-02-20")):
        assert case(api, people, points, day, violation="H01" if points == 5 else "H02").status_code == 201
    page = api.client.get(f"/ui/people/{CODE}").text
    form = {"csrf": hidden(page, "csrf"), "form_key": hidden(page, "form_key"),
            "trigger_record_id": hidden(page, "trigger_record_id"), "months": "3", "decided_on": "0001-01-01",
            "reason": "情节较重"}
    r = api.client.post(f"/ui/people/{CODE}/suspension-decisions", data=form)
    assert r.status_code == 422 and 'id="err-decided_on"' in r.text and "日期须在 2000-01-01 至 2099-12-31 之间" in r.text


def test_the_csv_import_reports_bad_dates_with_their_codes(api, people, policy):
    lines = ["code,name,category,institution_code,registered_on\n"] + [
        f"D11010500030{i},李{i},medical,H11010500001,{value}\n" for i, (value, _) in enumerate(BAD)]
    with Session(api.engine) as session:
        report = import_practitioners(session, "importer", lines, policy, api.clock())
        session.commit()
    assert [(e.line, e.code) for e in report.errors] == [(i + 2, code) for i, (_, code) in enumerate(BAD)]
    assert report.errors[0].message == "registered_on: '20250420' is not a date (YYYY-MM-DD)"
    assert report.registrations_created == 0
