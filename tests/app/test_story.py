"""The full story over HTTP: 5 + 4 points -> suspended -> claim blocked, emergency claim paid ->
objection -> appeal annuls the 4 -> eligible again and the blocked claim released."""
from api.auth.tokens import Role
from tests.app.conftest import case

CODE = "D110105000123"


def test_suspension_blocks_claims_and_annulment_releases_them(api, people):
    sup = people
    settle = api.token(Role.SETTLEMENT, "000000", "结算系统")
    me = api.token(Role.PRACTITIONER, CODE)

    assert case(api, sup, 5, "2026-02-10").status_code == 201
    r = case(api, sup, 4, "2026-02-20", violation="H02")
    assert r.status_code == 201
    four = r.json()[0]["id"]

    r = api.client.post(f"/v1/practitioners/{CODE}/suspension-decisions", headers=sup,
                        json={"year": 2026, "months": 2, "decided_on": "2026-02-25", "reason": "情节较重"})
    assert r.status_code == 201, r.text
    assert (r.json()["status"], r.json()["until"], r.json()["eligible_again_on"]) == (
        "suspended", "2026-04-20", "2026-04-21")

    r = api.client.get("/v1/eligibility", headers=settle, params={"code": CODE, "date": "2026-02-25"})
    assert r.json() == {"code": CODE, "date": "2026-02-25", "eligible": False, "status": "suspended",
                        "reason": "SUSPENDED", "until": "2026-04-20", "rule": "threshold.suspend"}
    r = api.client.get("/v1/eligibility", headers=settle, params={"code": CODE, "date": "2026-02-20"})
    assert r.json()["eligible"] is True  # the decision day itself is not counted

    claims = [
        {"ref": "C1", "institution_code": "H11010500001", "practitioner_code": CODE, "service_date": "2026-02-25",
         "amount": "320.00"},
        {"ref": "C2", "institution_code": "H11010500001", "practitioner_code": CODE, "service_date": "2026-02-25",
         "emergency": True, "amount": "1280.50"},
    ]
    r = api.client.post("/v1/claims", headers=settle, json=claims)
    assert [(c["ref"], c["state"], c["reason"]) for c in r.json()] == [
        ("C1", "blocked", "SUSPENDED"), ("C2", "payable", "EMERGENCY_EXEMPT")]
    assert api.client.post("/v1/claims/C2/payment", headers=settle).json()["state"] == "paid"
    r = api.client.post("/v1/claims/C1/payment", headers=settle)
    assert (r.status_code, r.json()["error"]["code"]) == (409, "CLAIM_BLOCKED")
    blocked = api.client.get("/v1/claims", headers=settle, params={"status": "blocked"}).json()["items"]
    assert [c["ref"] for c in blocked] == ["C1"]

    view = api.client.get("/v1/me", headers=me).json()
    assert (view["status"], view["points_this_year"], len(view["records"])) == ("suspended", 9, 2)
    assert view["records"][1]["violation_zh"].startswith("重复收费")
    r = api.client.post("/v1/me/objections", headers=me, json={"record_id": four, "reason": "该处方由他人开具"})
    assert r.status_code == 201, r.text
    objection = r.json()["id"]
    assert [o["id"] for o in api.client.get("/v1/objections", headers=sup).json()["items"]] == [objection]

    r = api.client.post(f"/v1/records/{four}/reviews", headers=sup,
                        json={"outcome": "annul", "decided_on": "2026-03-01", "reason": "复核: 证据不足"})
    assert r.status_code == 201, r.text
    assert (r.json()["objections_closed"], r.json()["status"]) == ([objection], "normal")

    r = api.client.get("/v1/eligibility", headers=settle, params={"code": CODE, "date": "2026-02-25"})
    assert (r.json()["eligible"], r.json()["status"]) == (True, "normal")
    assert api.client.get("/v1/claims", headers=settle, params={"status": "blocked"}).json()["items"] == []
    payable = api.client.get("/v1/claims", headers=settle, params={"status": "payable"}).json()["items"]
    assert [c["ref"] for c in payable] == ["C1"]

    view = api.client.get("/v1/me", headers=me).json()
    assert (view["status"], view["points_this_year"]) == ("normal", 5)
    assert view["sanctions"][0]["revoked"] is True
    assert view["records"][1]["annulled"] is True and view["records"][1]["objections"][0]["state"] == "reviewed"
    assert {n["kind"] for n in view["notifications"]} >= {"record", "sanction", "objection", "review"}


def test_a_later_review_that_raises_points_flags_paid_claims_for_recovery(api, people):
    sup, settle = people, api.token(Role.SETTLEMENT, "110000")
    case(api, sup, 4, "2026-02-01")
    second = case(api, sup, 4, "2026-02-05", violation="H02").json()[0]["id"]
    r = api.client.post("/v1/claims", headers=settle, json=[{
        "ref": "P1", "institution_code": "H11010500001", "practitioner_code": CODE, "service_date": "2026-02-15",
        "amount": "88.00"}])
    assert r.json()[0]["state"] == "payable"
    api.client.post("/v1/claims/P1/payment", headers=settle)
    r = api.client.post(f"/v1/records/{second}/reviews", headers=sup,
                        json={"outcome": "change", "points": 5, "decided_on": "2026-03-01", "reason": "情节较重"})
    assert r.status_code == 201 and r.json()["status"] == "suspended"
    recovery = api.client.get("/v1/claims", headers=settle, params={"status": "recovery"}).json()["items"]
    assert [(c["ref"], c["reason"]) for c in recovery] == [("P1", "SUSPENDED")]
