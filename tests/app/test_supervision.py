"""Supervisor flows beyond the main story: several people per case, repair, multi-site registration."""
from api.auth.tokens import Role
from tests.app.conftest import case

CODE = "D110105000123"


def test_one_case_records_each_person_with_their_responsibility(api, people):
    api.client.post("/v1/practitioners", headers=people, json={
        "code": "HY110105000042", "name": "赵敏", "category": "pharmacy", "institution_code": "H11010500001",
        "registered_on": "2025-06-01"})
    body = {"violation_code": "H01", "decision_date": "2026-02-10", "case_number": "京朝医保罚〔2026〕17号",
            "authority": "北京市朝阳区医疗保障局", "institution_code": "H11010500001",
            "people": [{"practitioner_code": CODE, "points": 6, "responsibility": "main"},
                       {"practitioner_code": "HY110105000042", "points": 4, "responsibility": "general"}]}
    r = api.client.post("/v1/cases", headers=people, json=body)
    assert r.status_code == 201
    assert [(x["practitioner_code"], x["points"], x["responsibility"]) for x in r.json()] == [
        (CODE, 6, "main"), ("HY110105000042", 4, "general")]


def test_a_second_registration_is_multi_site_practice_with_one_status(api, people):
    r = api.client.post("/v1/registrations", headers=people, json={
        "practitioner_code": CODE, "institution_code": "H11010500002", "starts_on": "2026-01-05"})
    assert r.status_code == 201
    assert [x["institution_code"] for x in r.json()["registrations"]] == ["H11010500001", "H11010500002"]
    case(api, people, 9, "2026-02-10", violation="S01")
    for institution in ("H11010500001", "H11010500002"):
        staff = api.client.get(f"/v1/institutions/{institution}/staff",
                               headers=api.token(Role.INSTITUTION, institution)).json()["items"]
        assert [(s["code"], s["status"]) for s in staff] == [(CODE, "suspended")]
    r = api.client.post("/v1/registrations", headers=people, json={
        "practitioner_code": CODE, "institution_code": "H11010500002", "starts_on": "2026-02-01"})
    assert (r.status_code, r.json()["error"]["code"]) == (409, "ALREADY_REGISTERED")


def test_repair_in_tianjin_over_the_api(api):
    tj = api.token(Role.SUPERVISOR, "120000")
    api.client.post("/v1/institutions", headers=tj, json={
        "code": "H12010100001", "name": "和平医院", "kind": "hospital", "region": "120101"})
    api.client.post("/v1/practitioners", headers=tj, json={
        "code": "D120101000001", "name": "孙杰", "category": "medical", "institution_code": "H12010100001",
        "registered_on": "2025-01-01"})
    api.client.post("/v1/cases", headers=tj, json={
        "violation_code": "S01", "decision_date": "2026-02-20", "case_number": "津医保〔2026〕3号",
        "authority": "天津市和平区医疗保障局", "institution_code": "H12010100001",
        "people": [{"practitioner_code": "D120101000001", "points": 9}]})
    r = api.client.post("/v1/practitioners/D120101000001/repairs", headers=tj,
                        json={"activity_date": "2026-02-28", "activity": "参加医保飞行检查"})
    assert r.status_code == 201, r.text
    assert (r.json()["points_this_year"], r.json()["repair_left_this_year"], r.json()["status"]) == (8, 3, "normal")
    beijing = api.token(Role.SUPERVISOR, "110000")
    r = api.client.post("/v1/practitioners/D120101000001/repairs", headers=beijing,
                        json={"activity_date": "2026-02-28", "activity": "x"})
    assert (r.status_code, r.json()["error"]["code"]) == (404, "PRACTITIONER_NOT_FOUND")  # not registered there
