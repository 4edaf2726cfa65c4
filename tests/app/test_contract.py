"""Bad input gets a 4xx with a machine-readable code; batches answer line by line; POSTs are idempotent."""
import pytest

from api.auth.tokens import Role
from tests.app.conftest import case

CODE = "D110105000123"


def error(r):
    return r.status_code, r.json()["error"]["code"]


@pytest.mark.parametrize("change,expected", [
    ({"people": [{"practitioner_code": CODE, "points": 7}]}, (422, "POINTS_OUTSIDE_BAND")),
    ({"people": [{"practitioner_code": CODE, "points": 13}]}, (422, "INVALID_REQUEST")),
    ({"people": [{"practitioner_code": "D11010500012", "points": 5}]}, (422, "INVALID_CODE")),
    ({"people": [{"practitioner_code": "D110105999999", "points": 5}]}, (404, "PRACTITIONER_NOT_FOUND")),
    ({"decision_date": "2026-03-02"}, (422, "DATE_IN_FUTURE")),
    ({"decision_date": "2026-02-30"}, (422, "INVALID_DATE")),
    ({"violation_code": "Z99"}, (422, "UNKNOWN_VIOLATION")),
    ({"institution_code": "H11010599999"}, (404, "INSTITUTION_NOT_FOUND")),
    ({"people": []}, (422, "INVALID_REQUEST")),
])
def test_bad_point_records_are_refused_with_a_code_and_nothing_is_written(api, people, change, expected):
    body = {"violation_code": "H01", "decision_date": "2026-02-10", "case_number": "C-1", "authority": "朝阳医保局",
            "institution_code": "H11010500001", "people": [{"practitioner_code": CODE, "points": 5}], **change}
    r = api.client.post("/v1/cases", headers=people, json=body)
    assert error(r) == expected
    assert r.json()["error"]["message"]
    assert api.client.get(f"/v1/practitioners/{CODE}", headers=people).json()["records"] == []


def test_malformed_json_and_wrong_types_are_422(api, people):
    r = api.client.post("/v1/cases", headers={**people, "Content-Type": "application/json"}, content=b"{not json")
    assert error(r) == (422, "INVALID_REQUEST")
    r = api.client.get("/v1/eligibility", headers=api.token(Role.SETTLEMENT, "000000"),
                       params={"code": CODE, "date": "yesterday"})
    assert error(r) == (422, "INVALID_DATE")


def test_suspension_length_outside_one_to_six_months(api, people):
    trigger = case(api, people, 9, "2026-02-10", violation="S01").json()[0]["id"]
    for months, expected in ((7, "MONTHS_OUT_OF_RANGE"), (0, "MONTHS_OUT_OF_RANGE")):
        r = api.client.post(f"/v1/practitioners/{CODE}/suspension-decisions", headers=people, json={
            "trigger_record_id": trigger, "months": months, "decided_on": "2026-02-12", "reason": "情节"})
        assert error(r) == (422, expected)
    for named in ({"year": 2025}, {"trigger_record_id": trigger + 1}):
        r = api.client.post(f"/v1/practitioners/{CODE}/suspension-decisions", headers=people,
                            json={**named, "months": 3, "decided_on": "2026-02-12", "reason": "情节"})
        assert error(r) == (422, "NO_SUSPENSION")
    r = api.client.post(f"/v1/practitioners/{CODE}/suspension-decisions", headers=people, json={
        "trigger_record_id": trigger, "year": 2026, "months": 3, "decided_on": "2026-02-12", "reason": "情节"})
    assert r.status_code == 422  # one name only: the trigger, or (deprecated) year and ordinal


def test_batch_answers_every_line_in_order_and_a_bad_line_fails_alone(api, people):
    case(api, people, 12, "2026-02-10", violation="F01")
    settle = api.token(Role.SETTLEMENT, "000000")
    lines = [{"ref": "1", "code": CODE, "date": "2026-02-10"},
             {"ref": "2", "code": CODE, "date": "2026-02-11"},
             {"ref": "3", "code": CODE, "date": "2026-02-11", "emergency": True},
             {"ref": "4", "code": "D110105000999", "date": "2026-02-11"},
             {"ref": "5", "code": "bad", "date": "2026-02-11"},
             {"ref": "6", "code": CODE, "date": "2026-02-31"},
             {"ref": "7", "code": CODE, "date": "1899-12-31"}]
    r = api.client.post("/v1/eligibility/batch", headers=settle, json=lines)
    assert r.status_code == 200
    got = [(x["ref"], x.get("eligible"), x.get("status"), x.get("reason") or x["error"]["code"]) for x in r.json()]
    assert got == [("1", True, "normal", "ELIGIBLE"), ("2", False, "banned", "TERMINATED"),
                   ("3", False, "banned", "TERMINATED"), ("4", False, "unregistered", "UNKNOWN_PRACTITIONER"),
                   ("5", None, None, "INVALID_CODE"), ("6", None, None, "INVALID_DATE"),
                   ("7", None, None, "DATE_OUT_OF_RANGE")]
    assert r.json()[1]["until"] == "2029-02-10"


def test_a_batch_over_100000_lines_is_413(api, people):
    settle = api.token(Role.SETTLEMENT, "000000")
    lines = [{"code": CODE, "date": "2026-02-01"}] * 100_001
    assert error(api.client.post("/v1/eligibility/batch", headers=settle, json=lines)) == (413, "BATCH_TOO_LARGE")


def test_idempotency_key_replays_the_first_answer_and_refuses_reuse(api, people):
    headers = {**people, "Idempotency-Key": "k-1"}
    first = case(api, headers, 5, "2026-02-10", number="CASE-IDEM")
    again = case(api, headers, 5, "2026-02-10", number="CASE-IDEM")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert len(api.client.get(f"/v1/practitioners/{CODE}", headers=people).json()["records"]) == 1
    assert error(case(api, headers, 6, "2026-02-10", number="CASE-IDEM")) == (409, "IDEMPOTENCY_KEY_REUSED")
    # without the key, the duplicate case is caught by the ledger itself
    assert error(case(api, people, 5, "2026-02-10", number="CASE-IDEM")) == (409, "DUPLICATE_RECORD")


def test_claims_are_idempotent_by_ref(api, people):
    settle = api.token(Role.SETTLEMENT, "000000")
    claim = {"ref": "R-1", "institution_code": "H11010500001", "practitioner_code": CODE,
             "service_date": "2026-02-01", "amount": "10.00"}
    assert api.client.post("/v1/claims", headers=settle, json=[claim]).json()[0]["duplicate"] is False
    r = api.client.post("/v1/claims", headers=settle, json=[claim, {**claim, "amount": "11.00"},
                                                            {**claim, "ref": "R-2", "service_date": "2026-03-02"}])
    assert [x.get("duplicate") or x["error"]["code"] for x in r.json()] == [
        True, "CLAIM_REF_CONFLICT", "SERVICE_DATE_IN_FUTURE"]
    assert len(api.client.get("/v1/claims", headers=settle).json()["items"]) == 1


def test_list_by_status_and_csv_export(api, people):
    case(api, people, 9, "2026-02-10", violation="S01")
    r = api.client.get("/v1/practitioners", headers=people, params={"status": "suspended"})
    assert [(p["code"], p["until"]) for p in r.json()["items"]] == [(CODE, "2026-03-10")]
    assert api.client.get("/v1/practitioners", headers=people, params={"status": "normal"}).json()["items"] == []
    r = api.client.get("/v1/practitioners/export.csv", headers=people, params={"status": "suspended"})
    assert r.headers["content-type"].startswith("text/csv")
    rows = r.content.decode("utf-8-sig").splitlines()
    assert rows[0] == "code,name,category,region,status,until,as_of"
    assert rows[1] == f"{CODE},王伟,medical,110105,suspended,2026-03-10,2026-03-01"


def test_status_lists_follow_the_clock(api, people):
    case(api, people, 9, "2026-02-10", violation="S01")
    api.clock.today = api.clock.today.replace(month=3, day=11)
    r = api.client.get("/v1/practitioners", headers=people, params={"status": "normal"})
    assert [p["code"] for p in r.json()["items"]] == [CODE]


def test_violation_catalogue_by_region(api, people):
    me = api.token(Role.PRACTITIONER, CODE)
    national = {v["code"] for v in api.client.get("/v1/violations", headers=me).json()}
    beijing = {v["code"] for v in api.client.get("/v1/violations", headers=me, params={"region": "110105"}).json()}
    assert "L90" not in national and beijing == national | {"L90"}


def test_every_operation_is_documented_and_every_body_has_an_example(api):
    spec = api.client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            assert op.get("summary"), f"{method} {path} has no summary"
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            if body:
                ref = body.get("$ref") or body.get("items", {}).get("$ref")
                schema = schemas[ref.rsplit("/", 1)[1]] if ref else body["items"]
                has_example = "examples" in schema or all(
                    "examples" in p or "default" in p for p in schema.get("properties", {}).values())
                assert has_example, f"{method} {path}: body {ref} has no example"
