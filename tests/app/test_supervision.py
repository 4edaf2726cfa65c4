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


def _tianjin_person(api, points, decided):
    tj = api.token(Role.SUPERVISOR, "120000")
    api.client.post("/v1/institutions", headers=tj, json={
        "code": "H12010100001", "name": "和平医院", "kind": "hospital", "region": "120101"})
    api.client.post("/v1/practitioners", headers=tj, json={
        "code": "D120101000001", "name": "孙杰", "category": "medical", "institution_code": "H12010100001",
        "registered_on": "2025-01-01"})
    r = api.client.post("/v1/cases", headers=tj, json={
        "violation_code": "S01" if points >= 7 else "H01", "decision_date": decided,
        "case_number": "津医保〔2026〕3号", "authority": "天津市和平区医疗保障局", "institution_code": "H12010100001",
        "people": [{"practitioner_code": "D120101000001", "points": points}]})
    assert r.status_code == 201, r.text
    return tj


def repair(api, headers, on, activity="参加医保飞行检查"):
    return api.client.post("/v1/practitioners/D120101000001/repairs", headers=headers,
                           json={"activity_date": on, "activity": activity})


def test_repair_in_tianjin_over_the_api(api):
    tj = _tianjin_person(api, 9, "2026-02-20")
    r = repair(api, tj, "2026-02-28")
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["year"], body["points_in_year"], body["repair_left_in_year"], body["status"]) == (
        2026, 8, 3, "suspended")  # a repair does not end a running suspension (repair_ends_suspension = false)
    beijing = api.token(Role.SUPERVISOR, "110000")
    r = api.client.post("/v1/practitioners/D120101000001/repairs", headers=beijing,
                        json={"activity_date": "2026-02-28", "activity": "x"})
    assert (r.status_code, r.json()["error"]["code"]) == (404, "PRACTITIONER_NOT_FOUND")  # not registered there


def test_a_repair_counts_in_its_activitys_year_and_needs_points_recorded_by_then(api):
    tj = _tianjin_person(api, 5, "2025-05-01")
    r = repair(api, tj, "2025-03-01")  # before the points: nothing to repair
    assert (r.status_code, r.json()["error"]["code"]) == (422, "NOTHING_TO_REPAIR")
    r = repair(api, tj, "2025-06-01")
    assert r.status_code == 201, r.text
    assert {k: r.json()[k] for k in ("year", "points_in_year", "repair_left_in_year")} == {
        "year": 2025, "points_in_year": 4, "repair_left_in_year": 3}
    view = api.client.get("/v1/practitioners/D120101000001", headers=tj).json()
    assert [(y["year"], y["repaired"], y["net"]) for y in view["years"]] == [(2025, 1, 4)]


def decide(api, headers, body):
    return api.client.post(f"/v1/practitioners/{CODE}/suspension-decisions", headers=headers, json=body)


def suspensions(api, headers):
    view = api.client.get(f"/v1/practitioners/{CODE}", headers=headers).json()
    return [(s["trigger_record_id"], s["months"], s["months_decided"], s["length_decided_by"])
            for s in view["sanctions"] if s["kind"] == "suspension" and not s["revoked"]]


def test_a_decided_length_stays_with_its_trigger_and_the_latest_decision_wins(api, people):
    case(api, people, 7, "2026-01-05", violation="S01")
    trigger = case(api, people, 2, "2026-01-20", violation="L01").json()[0]["id"]
    later = case(api, people, 2, "2026-02-10", violation="L02").json()[0]["id"]
    body = {"trigger_record_id": trigger, "months": 6, "decided_on": "2026-01-25", "reason": "情节较重"}
    for change, code in (({"decided_on": "2099-01-01"}, "DECISION_DATE_OUT_OF_RANGE"),
                         ({"decided_on": "2026-01-19"}, "DECISION_DATE_OUT_OF_RANGE"),
                         ({"trigger_record_id": later}, "NO_SUSPENSION")):
        r = decide(api, people, body | change)
        assert (r.status_code, r.json()["error"]["code"]) == (422, code), r.text
    r = decide(api, people, {k: v for k, v in body.items() if k != "reason"})
    assert r.status_code == 422  # the reason is required
    assert decide(api, people, body).status_code == 201
    assert suspensions(api, people) == [(trigger, 6, True, "北京市医保局 李科长")]
    r = decide(api, people, body | {"months": 2, "decided_on": "2026-01-25"})  # same day, shorter: it wins
    assert r.status_code == 201 and r.json()["until"] == "2026-03-20"
    r = api.client.post(f"/v1/records/{trigger}/reviews", headers=people,
                        json={"outcome": "annul", "decided_on": "2026-02-25", "reason": "证据不足"})
    assert r.status_code == 201, r.text
    assert suspensions(api, people) == [(later, 1, False, None)]  # a new trigger: to decide, default length
