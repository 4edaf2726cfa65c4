"""Every route × every role: allowed roles get through (no 401/403), every other role gets 403, and scoped
roles outside their scope read the target as unknown (404), or get 403 OUT_OF_SCOPE where they would create
something outside their region. The table must name every operation of the OpenAPI spec. Region by region
(own, above, below, sibling, multi-site) the rules are in tests/security/test_authority.py."""
import re

import pytest

from api.auth.tokens import Role
from tests.app.conftest import case

CODE, OTHER_INSTITUTION = "D110105000123", "H11010500002"
S, I, P, C = Role.SUPERVISOR, Role.INSTITUTION, Role.PRACTITIONER, Role.SETTLEMENT
ALL = (S, I, P, C)

# (method, path): (roles allowed, request body or None)
MATRIX = {
    ("post", "/v1/institutions"): ((S,), {"code": "H11010500009", "name": "新医院", "kind": "hospital",
                                          "region": "110105"}),
    ("post", "/v1/practitioners"): ((S,), {"code": "D110105000200", "name": "新人", "category": "medical",
                                           "institution_code": "H11010500001", "registered_on": "2026-01-01"}),
    ("get", "/v1/practitioners"): ((S,), None),
    ("post", "/v1/registrations"): ((S,), {"practitioner_code": CODE, "institution_code": OTHER_INSTITUTION,
                                           "starts_on": "2026-02-01"}),
    ("post", "/v1/registrations/{registration_id}/end"): ((S,), {"ends_on": "2026-02-20", "reason": "注销"}),
    ("get", "/v1/practitioners/export.csv"): ((S,), None),
    ("post", "/v1/cases"): ((S,), {"violation_code": "L01", "decision_date": "2026-02-01", "case_number": "M-1",
                                   "authority": "医保局", "institution_code": "H11010500001",
                                   "people": [{"practitioner_code": CODE, "points": 1}]}),
    ("post", "/v1/records/{record_id}/reviews"): ((S,), {"outcome": "confirm", "decided_on": "2026-02-20",
                                                         "reason": "维持"}),
    ("post", "/v1/practitioners/{code}/suspension-decisions"): ((S,), {"year": 2026, "months": 2,
                                                                       "decided_on": "2026-02-20", "reason": "情节"}),
    ("post", "/v1/practitioners/{code}/repairs"): ((S,), {"activity_date": "2026-02-20", "activity": "宣传"}),
    ("get", "/v1/objections"): ((S,), None),
    ("get", "/v1/practitioners/{code}"): ((S, I), None),
    ("get", "/v1/practitioners/{code}/history"): ((S,), None),
    ("get", "/v1/institutions/{code}/staff"): ((S, I), None),
    ("get", "/v1/me"): ((P,), None),
    ("get", "/v1/me/history"): ((P,), None),
    ("post", "/v1/me/objections"): ((P,), {"record_id": 0, "reason": "异议"}),
    ("get", "/v1/me/objections"): ((P,), None),
    ("post", "/v1/me/objections/{objection_id}/evidence"): ((P,), None),  # multipart; no file: 422
    ("get", "/v1/objections/{objection_id}/evidence"): ((S, P), None),
    ("get", "/v1/objections/{objection_id}/evidence/{evidence_id}"): ((S, P), None),
    ("get", "/v1/eligibility"): ((S, C), None),
    ("post", "/v1/eligibility/batch"): ((S, C), [{"code": CODE, "date": "2026-02-20"}]),
    ("post", "/v1/claims"): ((C,), [{"ref": "M1", "institution_code": "H11010500001", "practitioner_code": CODE,
                                     "service_date": "2026-02-20", "amount": "1.00"}]),
    ("get", "/v1/claims"): ((C,), None),
    ("post", "/v1/claims/{ref}/payment"): ((C,), None),
    ("post", "/v1/webhooks"): ((C,), {"url": "http://127.0.0.1:9/hook"}),
    ("get", "/v1/webhooks"): ((C,), None),
    ("delete", "/v1/webhooks/{subscription_id}"): ((C,), None),
    ("get", "/v1/webhooks/{subscription_id}/deliveries"): ((C,), None),
    ("get", "/v1/status-changes"): ((S, C), None),
    ("get", "/v1/standings/export"): ((S, C), None),
    ("get", "/v1/violations"): (ALL, None),
    ("get", "/healthz"): ((), None),  # public
    ("get", "/readyz"): ((), None),  # public
}
SCOPED = {("get", "/v1/practitioners/{code}"), ("get", "/v1/practitioners/{code}/history"), ("get", "/v1/institutions/{code}/staff"),
          ("post", "/v1/cases"), ("post", "/v1/practitioners/{code}/repairs"),
          ("post", "/v1/practitioners/{code}/suspension-decisions"), ("post", "/v1/records/{record_id}/reviews"),
          ("post", "/v1/registrations"), ("post", "/v1/practitioners"), ("post", "/v1/institutions"),
          ("post", "/v1/registrations/{registration_id}/end"), ("get", "/v1/objections/{objection_id}/evidence"),
          ("get", "/v1/objections/{objection_id}/evidence/{evidence_id}")}
SCOPES = {S: "110000", I: "H11010500001", P: CODE, C: "110000"}
FOREIGN = {S: "310000", I: OTHER_INSTITUTION}
FOREIGN_NOT_FOUND = {"/v1/practitioners/{code}": "PRACTITIONER_NOT_FOUND",
                     "/v1/practitioners/{code}/history": "PRACTITIONER_NOT_FOUND", "/v1/institutions/{code}/staff":
                     "INSTITUTION_NOT_FOUND", "/v1/cases": "INSTITUTION_NOT_FOUND",
                     "/v1/practitioners/{code}/repairs": "PRACTITIONER_NOT_FOUND",
                     "/v1/practitioners/{code}/suspension-decisions": "PRACTITIONER_NOT_FOUND",
                     "/v1/records/{record_id}/reviews": "RECORD_NOT_FOUND",
                     "/v1/registrations": "INSTITUTION_NOT_FOUND", "/v1/practitioners": "INSTITUTION_NOT_FOUND",
                     "/v1/registrations/{registration_id}/end": "REGISTRATION_NOT_FOUND",
                     "/v1/objections/{objection_id}/evidence": "OBJECTION_NOT_FOUND",
                     "/v1/objections/{objection_id}/evidence/{evidence_id}": "EVIDENCE_NOT_FOUND"}


@pytest.fixture
def world(api, people):
    record = case(api, people, 9, "2026-02-10", violation="S01").json()[0]["id"]
    settle = api.token(C, "110000")
    api.client.post("/v1/claims", headers=settle, json=[{"ref": "R1", "institution_code": "H11010500001",
                                                         "practitioner_code": CODE, "service_date": "2026-02-01",
                                                         "amount": "1.00"}])
    api.app.state.settings.webhook_allow = "127.0.0.1"  # the webhook URLs here are local
    hook = api.client.post("/v1/webhooks", headers=settle, json={"url": "http://127.0.0.1:9/x"}).json()["id"]
    registration = api.client.get(f"/v1/practitioners/{CODE}", headers=people).json()["registrations"][0]["id"]
    objected = case(api, people, 1, "2026-02-11", violation="L01").json()[0]["id"]  # an objection with a file
    me = api.token(P, CODE)
    objection = api.client.post("/v1/me/objections", headers=me, json={"record_id": objected, "reason": "异议"})
    evidence = api.client.post(f"/v1/me/objections/{objection.json()['id']}/evidence", headers=me,
                               files=[("files", ("a.pdf", b"%PDF-1.7 evidence"))])
    return {"record_id": record, "code": CODE, "ref": "R1", "subscription_id": hook, "settle": settle,
            "registration_id": registration, "objection_id": objection.json()["id"],
            "evidence_id": evidence.json()[0]["id"]}


def call(api, method, path, body, headers, world):
    url = re.sub(r"\{(\w+)\}", lambda m: str(world[m.group(1)] if m.group(1) != "code" or "institutions" not in path
                                             else "H11010500001"), path)
    params = {"code": CODE, "date": "2026-02-20"} if path == "/v1/eligibility" else None
    if body is not None and "record_id" in body:
        body = {**body, "record_id": world["record_id"]}
    return api.client.request(method.upper(), url, headers=headers, params=params,
                              json=body if body is not None else None)


def test_the_matrix_names_every_operation(api):
    spec = api.client.get("/openapi.json").json()
    operations = {(m, p) for p, ops in spec["paths"].items() for m in ops}
    assert operations == set(MATRIX)


@pytest.mark.parametrize("method,path", sorted(MATRIX))
def test_every_role_on_every_route(api, world, method, path):
    allowed, body = MATRIX[(method, path)]
    for role in ALL:
        headers = api.token(role, SCOPES[role])
        if (method, path) == ("get", "/v1/webhooks/{subscription_id}/deliveries") and role is C:
            headers = world["settle"]  # a subscription is visible to the client that made it
        if (method, path) == ("delete", "/v1/webhooks/{subscription_id}") and role is C:
            headers = world["settle"]
        r = call(api, method, path, body, headers, world)
        if role in allowed:  # (a region's own rules may still refuse: Beijing's provide no repair)
            assert r.status_code not in (401, 404) and r.status_code < 500, (role, r.status_code, r.text)
            assert r.status_code != 403 or r.json()["error"]["code"] == "REPAIR_NOT_PROVIDED", (role, r.text)
        elif allowed:
            assert (r.status_code, r.json()["error"]["code"]) == (403, "ROLE_NOT_ALLOWED"), (role, r.text)
        else:
            assert r.status_code == 200  # public
        if role in allowed and (method, path) in SCOPED and role in FOREIGN:
            r = call(api, method, path, body, api.token(role, FOREIGN[role]), world)
            expected = (403, "OUT_OF_SCOPE") if path == "/v1/institutions" else (404, FOREIGN_NOT_FOUND[path])
            assert (r.status_code, r.json()["error"]["code"]) == expected, (role, "foreign", r.text)
    if allowed:
        assert call(api, method, path, body, {}, world).status_code == 401


def test_no_national_id_number_in_any_response(api, world):
    me = api.token(P, CODE)
    r = api.client.post("/v1/me/objections", headers=me,
                        json={"record_id": world["record_id"], "reason": "我的身份证号110105199001011234可证明"})
    assert r.status_code == 201 and "110105***********4" in r.json()["reason"]
    for url, headers in (("/v1/me", me), ("/v1/objections", api.token(S, "110000"))):
        assert "199001011234" not in api.client.get(url, headers=headers).text
