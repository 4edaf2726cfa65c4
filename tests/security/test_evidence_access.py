"""Who sees an objection's evidence: the objecting practitioner, and every supervisor who sees the person (their
home region, a region where they are registered, or one above); nobody else, over the API and the pages alike.
The person lives in Tianjin and is registered in Beijing too (多点执业)."""
from datetime import date

import pytest

from api.auth.tokens import Role
from tests.app.conftest import Api
from tests.app.test_pages import login

MULTI, OTHER = "D120103000022", "D120103000023"
BJ_INST, TJ_INST = "H11010500001", "H12010300001"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)

SEES = {  # supervisor scope -> sees the evidence
    "000000": True,   # national: above everyone
    "120000": True,   # Tianjin province: above the person's home county
    "120103": True,   # Tianjin county: the person's home and the record's authority
    "110000": True,   # Beijing province: above the county where the person is also registered
    "110105": True,   # Beijing county: registered there (reads the record, never reviews it)
    "110108": False,  # a sibling county
    "310000": False,  # another province
}


@pytest.fixture
def filed(api: Api):
    """A Tianjin record objected to by the person, with one evidence file; (objection, evidence, own token)."""
    tianjin, beijing = api.token(Role.SUPERVISOR, "120103"), api.token(Role.SUPERVISOR, "110105")
    for headers, code, region in ((tianjin, TJ_INST, "120103"), (beijing, BJ_INST, "110105")):
        assert api.client.post("/v1/institutions", headers=headers, json={
            "code": code, "name": f"医院{code}", "kind": "hospital", "region": region}).status_code == 201
    for code in (MULTI, OTHER):
        assert api.client.post("/v1/practitioners", headers=tianjin, json={
            "code": code, "name": "张敏", "category": "medical", "institution_code": TJ_INST,
            "registered_on": "2025-01-01"}).status_code == 201
    api.clock.today = date(2025, 6, 1)
    assert api.client.post("/v1/registrations", headers=beijing, json={
        "practitioner_code": MULTI, "institution_code": BJ_INST, "starts_on": "2025-06-01"}).status_code == 201
    api.clock.today = date(2026, 3, 1)
    r = api.client.post("/v1/cases", headers=tianjin, json={
        "violation_code": "H01", "decision_date": "2026-02-10", "case_number": "津河医保〔2026〕1号",
        "authority": "医保局", "institution_code": TJ_INST, "people": [{"practitioner_code": MULTI, "points": 5}]})
    assert r.status_code == 201, r.text
    own = api.token(Role.PRACTITIONER, MULTI, "张敏")
    objection = api.client.post("/v1/me/objections", headers=own, json={"record_id": r.json()[0]["id"],
                                                                         "reason": "异议"}).json()["id"]
    r = api.client.post(f"/v1/me/objections/{objection}/evidence", headers=own, files=[("files", ("a.png", PNG))])
    assert r.status_code == 201, r.text
    return objection, r.json()[0]["id"], own


def _answers(api: Api, headers, objection, evidence):
    listed = api.client.get(f"/v1/objections/{objection}/evidence", headers=headers)
    got = api.client.get(f"/v1/objections/{objection}/evidence/{evidence}", headers=headers)
    return listed, got


@pytest.mark.parametrize("scope", SEES)
def test_a_supervisor_sees_the_evidence_exactly_when_it_sees_the_person(api: Api, filed, scope):
    objection, evidence, _ = filed
    listed, got = _answers(api, api.token(Role.SUPERVISOR, scope), objection, evidence)
    if SEES[scope]:
        assert listed.status_code == 200 and [f["id"] for f in listed.json()] == [evidence]
        assert got.status_code == 200 and got.content == PNG
    else:  # out of scope reads like unknown
        assert (listed.status_code, listed.json()["error"]["code"]) == (404, "OBJECTION_NOT_FOUND")
        assert (got.status_code, got.json()["error"]["code"]) == (404, "EVIDENCE_NOT_FOUND")


def test_the_practitioner_sees_their_own_and_no_one_else_does(api: Api, filed):
    objection, evidence, own = filed
    listed, got = _answers(api, own, objection, evidence)
    assert listed.status_code == 200 and got.content == PNG
    other = api.token(Role.PRACTITIONER, OTHER)
    listed, got = _answers(api, other, objection, evidence)
    assert listed.status_code == 404 and got.status_code == 404
    r = api.client.post(f"/v1/me/objections/{objection}/evidence", headers=other, files=[("files", ("b.png", PNG))])
    assert (r.status_code, r.json()["error"]["code"]) == (404, "OBJECTION_NOT_FOUND")
    for role, scope in ((Role.INSTITUTION, TJ_INST), (Role.SETTLEMENT, "120000")):
        listed, got = _answers(api, api.token(role, scope), objection, evidence)
        assert listed.status_code == got.status_code == 403
    supervisor = api.token(Role.SUPERVISOR, "120103")  # supervisors read; only the person uploads
    r = api.client.post(f"/v1/me/objections/{objection}/evidence", headers=supervisor,
                        files=[("files", ("c.png", PNG))])
    assert r.status_code == 403
    wrong_pair = api.client.get(f"/v1/objections/{objection + 1}/evidence/{evidence}", headers=own)
    assert wrong_pair.status_code == 404


def _page_user(api: Api, role, scope):
    token = api.token(role, scope)["Authorization"].removeprefix("Bearer ")
    assert login(api, token).status_code == 303


@pytest.mark.parametrize(("role", "scope", "sees"), [
    (Role.PRACTITIONER, MULTI, True), (Role.PRACTITIONER, OTHER, False), (Role.SUPERVISOR, "120103", True),
    (Role.SUPERVISOR, "110105", True), (Role.SUPERVISOR, "000000", True), (Role.SUPERVISOR, "110108", False)])
def test_the_pages_download_follows_the_same_rule(api: Api, filed, role, scope, sees):
    _, evidence, _ = filed
    _page_user(api, role, scope)
    got = api.client.get(f"/ui/evidence/{evidence}")
    if sees:
        assert got.status_code == 200 and got.content == PNG
        assert got.headers["content-disposition"].startswith("attachment;")
        assert got.headers["x-content-type-options"] == "nosniff"
    else:
        assert got.status_code == 404 and got.headers["content-type"].startswith("text/html")
