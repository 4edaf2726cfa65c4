"""A settlement system only files, pays and lists claims of institutions in its own region, and its claim refs
are its own: another system's ref neither collides nor leaks."""
from api.auth.tokens import Role
from tests.app.conftest import Api

SH_INST, BJ_INST = "H31010100001", "H11010500001"


def _claim(ref, institution, code="D310101000001", date="2026-02-01", amount="10.00"):
    return {"ref": ref, "institution_code": institution, "practitioner_code": code, "service_date": date,
            "amount": amount}


def test_a_settlement_system_cannot_pay_or_see_another_regions_claim(api: Api):
    shanghai = api.token(Role.SETTLEMENT, "310000", "上海结算")
    beijing = api.token(Role.SETTLEMENT, "110000", "北京结算")
    r = api.client.post("/v1/claims", headers=shanghai, json=[_claim("SH-0001", SH_INST)])
    assert r.status_code == 200 and r.json()[0]["state"] in ("payable", "blocked")
    r = api.client.post("/v1/claims/SH-0001/payment", headers=beijing)
    assert (r.status_code, r.json()["error"]["code"]) == (404, "CLAIM_NOT_FOUND")
    unknown = api.client.post("/v1/claims/NO-SUCH/payment", headers=beijing)
    assert unknown.json()["error"]["message"].replace("NO-SUCH", "X") == r.json()["error"]["message"].replace(
        "SH-0001", "X")
    assert api.client.get("/v1/claims", headers=beijing).json()["items"] == []


def test_claims_for_institutions_outside_the_region_are_refused_line_by_line(api: Api):
    beijing = api.token(Role.SETTLEMENT, "110000", "北京结算")
    shanghai = api.token(Role.SETTLEMENT, "310000", "上海结算")
    r = api.client.post("/v1/claims", headers=beijing, json=[_claim("BJ-1", SH_INST), _claim("BJ-2", BJ_INST,
                                                                                             "D110105000001")])
    first, second = r.json()
    assert first["error"]["code"] == "INSTITUTION_OUT_OF_REGION"
    assert second["state"] in ("payable", "blocked")
    assert api.client.get("/v1/claims", headers=shanghai).json()["items"] == []
    assert [c["ref"] for c in api.client.get("/v1/claims", headers=beijing).json()["items"]] == ["BJ-2"]


def test_refs_are_namespaced_per_settlement_system(api: Api):
    a, b = api.token(Role.SETTLEMENT, "310000", "上海结算A"), api.token(Role.SETTLEMENT, "310000", "上海结算B")
    first = api.client.post("/v1/claims", headers=a, json=[_claim("R-1", SH_INST, amount="10.00")]).json()[0]
    # the same ref from another system, with other content: a claim of its own, no conflict, nothing leaked
    other = api.client.post("/v1/claims", headers=b, json=[_claim("R-1", SH_INST, amount="99.00")]).json()[0]
    assert first["duplicate"] is False and other["duplicate"] is False and "error" not in other
    assert api.client.post("/v1/claims", headers=a, json=[_claim("R-1", SH_INST)]).json()[0]["duplicate"] is True
    assert [c["amount"] for c in api.client.get("/v1/claims", headers=b).json()["items"]] == ["99.00"]
    # a new token of the same system (same region and name) keeps its claims
    again = api.token(Role.SETTLEMENT, "310000", "上海结算A")
    assert [c["amount"] for c in api.client.get("/v1/claims", headers=again).json()["items"]] == ["10.00"]
