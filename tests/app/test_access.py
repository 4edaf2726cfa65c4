"""Authentication and who may do what."""
from datetime import datetime, timedelta, timezone

import pytest

from api.auth.tokens import Principal, Role, sign
from tests.app.conftest import SECRET, case

CODE = "D110105000123"


def error(r):
    return r.status_code, r.json()["error"]["code"]


def test_missing_malformed_forged_and_expired_tokens_are_401(api, people):
    url = "/v1/me"
    assert error(api.client.get(url)) == (401, "UNAUTHENTICATED")
    assert error(api.client.get(url, headers={"Authorization": "Bearer nonsense"})) == (401, "TOKEN_INVALID")
    forged = sign(b"another key", Principal("x", Role.SUPERVISOR, "000000", "x",
                                            datetime.now(timezone.utc) + timedelta(days=1)))
    assert error(api.client.get(url, headers={"Authorization": f"Bearer {forged}"})) == (401, "TOKEN_INVALID")
    expired = sign(SECRET, Principal("y", Role.PRACTITIONER, CODE, "y", datetime.now(timezone.utc) - timedelta(seconds=1)))
    assert error(api.client.get(url, headers={"Authorization": f"Bearer {expired}"})) == (401, "TOKEN_EXPIRED")


def test_api_key_header_works_like_a_bearer_token(api, people):
    key = api.token(Role.SETTLEMENT, "000000")["Authorization"].split()[1]
    r = api.client.get("/v1/eligibility", headers={"X-API-Key": key}, params={"code": CODE, "date": "2026-02-01"})
    assert r.status_code == 200 and r.json()["eligible"] is True


def test_a_revoked_token_is_refused_within_two_seconds(api, people):
    import time

    from sqlmodel import Session

    from api.auth.service import revoke_token
    from api.auth.tokens import verify

    headers = api.token(Role.PRACTITIONER, CODE)
    assert api.client.get("/v1/me", headers=headers).status_code == 200
    principal = verify(SECRET, headers["Authorization"].split()[1], datetime.now(timezone.utc))
    with Session(api.engine) as session:
        revoke_token(session, "test", principal.id, "device lost")
        session.commit()
    revoked_at, deadline = time.monotonic(), time.monotonic() + 2
    while api.client.get("/v1/me", headers=headers).status_code == 200:
        assert time.monotonic() < deadline, "revocation not seen within 2 s"
        time.sleep(0.05)
    assert error(api.client.get("/v1/me", headers=headers)) == (401, "TOKEN_REVOKED")
    assert time.monotonic() - revoked_at < 2


@pytest.mark.parametrize("role,scope,method,url", [
    (Role.PRACTITIONER, CODE, "get", "/v1/eligibility?code=D110105000123&date=2026-02-01"),
    (Role.PRACTITIONER, CODE, "get", "/v1/practitioners"),
    (Role.SETTLEMENT, "000000", "get", "/v1/me"),
    (Role.SETTLEMENT, "000000", "get", f"/v1/practitioners/{CODE}"),
    (Role.INSTITUTION, "H11010500001", "get", "/v1/claims"),
    (Role.SUPERVISOR, "110000", "get", "/v1/me"),
    (Role.SUPERVISOR, "110000", "get", "/v1/claims"),
])
def test_roles_only_reach_their_endpoints(api, people, role, scope, method, url):
    assert error(getattr(api.client, method)(url, headers=api.token(role, scope))) == (403, "ROLE_NOT_ALLOWED")


def test_supervisors_act_only_in_their_region(api, people):
    shanghai = api.token(Role.SUPERVISOR, "310000")
    assert error(case(api, shanghai, 5, "2026-02-10")) == (404, "INSTITUTION_NOT_FOUND")
    assert error(api.client.get(f"/v1/practitioners/{CODE}", headers=shanghai)) == (404, "PRACTITIONER_NOT_FOUND")
    assert api.client.get("/v1/practitioners", headers=shanghai).json()["items"] == []
    r = api.client.post("/v1/institutions", headers=shanghai, json={
        "code": "H11010800009", "name": "海淀", "kind": "hospital", "region": "110108"})
    assert error(r) == (403, "OUT_OF_SCOPE")
    national = api.token(Role.SUPERVISOR, "000000")
    assert api.client.get(f"/v1/practitioners/{CODE}", headers=national).status_code == 200
    county = api.token(Role.SUPERVISOR, "110105")
    assert [p["code"] for p in api.client.get("/v1/practitioners", headers=county).json()["items"]] == [CODE]


def test_institutions_see_only_their_own_staff(api, people):
    own, other = api.token(Role.INSTITUTION, "H11010500001"), api.token(Role.INSTITUTION, "H11010500002")
    staff = api.client.get("/v1/institutions/H11010500001/staff", headers=own).json()["items"]
    assert [s["code"] for s in staff] == [CODE]
    assert api.client.get(f"/v1/practitioners/{CODE}", headers=own).status_code == 200
    assert error(api.client.get("/v1/institutions/H11010500001/staff", headers=other)) == (
        404, "INSTITUTION_NOT_FOUND")
    assert error(api.client.get(f"/v1/practitioners/{CODE}", headers=other)) == (404, "PRACTITIONER_NOT_FOUND")


def test_practitioners_see_and_object_only_to_their_own_records(api, people):
    sup = people
    api.client.post("/v1/practitioners", headers=sup, json={
        "code": "D110105000124", "name": "李娜", "category": "nursing", "institution_code": "H11010500001",
        "registered_on": "2025-01-01"})
    theirs = case(api, sup, 2, "2026-02-10", violation="L01", code="D110105000124").json()[0]["id"]
    me = api.token(Role.PRACTITIONER, CODE)
    assert api.client.get("/v1/me", headers=me).json()["code"] == CODE
    r = api.client.post("/v1/me/objections", headers=me, json={"record_id": theirs, "reason": "不是我"})
    assert error(r) == (404, "RECORD_NOT_FOUND")


def test_tokens_are_issued_only_with_a_valid_scope(api):
    from sqlmodel import Session

    from api.auth.service import issue_token
    from api.errors import AppError

    with Session(api.engine) as session:
        for role, scope in ((Role.SUPERVISOR, "11"), (Role.INSTITUTION, "X1"), (Role.PRACTITIONER, "D1")):
            with pytest.raises(AppError) as err:
                issue_token(session, SECRET, "test", role, scope, "n")
            assert err.value.code == "INVALID_SCOPE"
