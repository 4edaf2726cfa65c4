"""As known at, over HTTP: a claim paid, then a late record that covers its service day, then an annulment.
`known_at` answers as the record stood at each instant; each claim keeps when its verdict was reached."""
from datetime import datetime, timezone

import pytest

from api.auth.tokens import Role
from tests.app.conftest import case

CODE, DAY = "D110105000123", "2026-02-20"


def instant() -> str:
    return datetime.now(timezone.utc).isoformat()


def t(text: str) -> datetime:
    return datetime.fromisoformat(text)


def check(api, headers, known_at=None, emergency=False):
    params = {"code": CODE, "date": DAY, "emergency": emergency} | ({"known_at": known_at} if known_at else {})
    r = api.client.get("/v1/eligibility", headers=headers, params=params)
    assert r.status_code == 200, r.text
    return r.json()


def claim(api, headers, ref="P1"):
    return next(c for c in api.client.get("/v1/claims", headers=headers).json()["items"] if c["ref"] == ref)


@pytest.fixture
def story(api, people):
    """Instants: before the late record (the claim is paid), between it and its annulment, after."""
    sup, settle = people, api.token(Role.SETTLEMENT, "110000")
    case(api, sup, 5, "2026-02-01")
    assert api.client.post("/v1/claims", headers=settle, json=[{
        "ref": "P1", "institution_code": "H11010500001", "practitioner_code": CODE, "service_date": DAY,
        "amount": "88.00"}]).json()[0]["state"] == "payable"
    assert api.client.post("/v1/claims/P1/payment", headers=settle).json()["state"] == "paid"
    paid = instant()
    late = case(api, sup, 4, "2026-02-10", violation="H02").json()[0]["id"]  # suspended 11 Feb – 10 Mar
    between = instant()
    r = api.client.post(f"/v1/records/{late}/reviews", headers=sup,
                        json={"outcome": "annul", "decided_on": "2026-03-01", "reason": "复核: 证据不足"})
    assert r.status_code == 201, r.text
    return settle, paid, between, instant()


def test_a_late_record_then_its_annulment_move_the_answer_both_ways_as_known_at_three_instants(api, story):
    settle, paid, between, after = story
    answers = [check(api, settle, t) for t in (paid, between, after)]
    assert [(a["eligible"], a["status"], a["reason"]) for a in answers] == [
        (True, "normal", "ELIGIBLE"), (False, "suspended", "SUSPENDED"), (True, "normal", "ELIGIBLE")]
    assert answers[1]["until"] == "2026-03-10"
    assert [a["known_at"] for a in answers] == [t(x).isoformat() for x in (paid, between, after)]
    assert "known_at" not in check(api, settle)  # as known now: the annulment stands, nothing echoed
    assert {k: v for k, v in answers[2].items() if k != "known_at"} == check(api, settle)


def test_batch_lines_take_known_at_and_answer_as_the_single_check(api, story):
    settle, paid, between, after = story
    lines = [{"ref": str(i), "code": CODE, "date": DAY, "known_at": t} for i, t in enumerate((paid, between, after))]
    lines += [{"ref": "now", "code": CODE, "date": DAY}, {"ref": "bad", "code": CODE, "date": DAY,
                                                          "known_at": "2026-03-01T10:00:00"}]
    r = api.client.post("/v1/eligibility/batch", headers=settle, json=lines)
    assert r.status_code == 200, r.text
    got = r.json()
    for line, answer in zip(lines[:3], got):
        single = check(api, settle, line["known_at"])
        assert answer == {"ref": line["ref"], **single}
    assert "known_at" not in got[3] and got[3]["eligible"] is True
    assert got[4]["error"]["code"] == "INVALID_KNOWN_AT"


def test_a_claim_keeps_when_its_verdict_was_reached(api, story):
    settle, _, between, after = story
    p1 = claim(api, settle)
    assert (p1["state"], p1["reason"]) == ("paid", "ELIGIBLE")
    assert t(between) < t(p1["checked_at"]) <= t(after)  # back to paid by the annulment
    assert check(api, settle, p1["checked_at"])["reason"] == p1["reason"]


def test_a_claim_moved_to_recovery_is_checked_when_the_late_record_arrives(api, people):
    settle = api.token(Role.SETTLEMENT, "110000")
    case(api, people, 5, "2026-02-01")
    api.client.post("/v1/claims", headers=settle, json=[{
        "ref": "P1", "institution_code": "H11010500001", "practitioner_code": CODE, "service_date": DAY,
        "amount": "88.00"}])
    submitted = claim(api, settle)
    assert submitted["checked_at"] == submitted["submitted_at"]
    api.client.post("/v1/claims/P1/payment", headers=settle)
    assert claim(api, settle)["checked_at"] == submitted["checked_at"]  # paying keeps the verdict
    before = instant()
    case(api, people, 4, "2026-02-10", violation="H02")
    moved = claim(api, settle)
    assert (moved["state"], moved["reason"]) == ("recovery", "SUSPENDED") and t(moved["checked_at"]) > t(before)
    assert check(api, settle, moved["checked_at"])["reason"] == "SUSPENDED"
    assert check(api, settle, submitted["checked_at"])["reason"] == "ELIGIBLE"


@pytest.mark.parametrize("known_at, says", [
    ("2026-03-01T10:00:00", "has no UTC offset"), ("2026-03-01", "has no UTC offset"),
    ("2026-03-01T10:00:00 08:00", "write + as %2B"), ("yesterday", "is not an ISO 8601 instant"),
    ("2026-02-30T10:00:00+08:00", "is not a real instant"), ("1999-12-31T23:00:00Z", "is outside"),
])
def test_known_at_must_be_an_instant_with_its_offset(api, people, known_at, says):
    settle = api.token(Role.SETTLEMENT, "110000")
    r = api.client.get("/v1/eligibility", headers=settle, params={"code": CODE, "date": DAY, "known_at": known_at})
    assert (r.status_code, r.json()["error"]["code"]) == (422, "INVALID_KNOWN_AT")
    assert says in r.json()["error"]["message"]


def test_known_at_takes_z_and_any_offset(api, people):
    settle = api.token(Role.SETTLEMENT, "110000")
    for text, echo in (("2099-01-01T00:00Z", "2099-01-01T00:00:00+00:00"),
                       ("2099-01-01T08:00:00.5-05:00", "2099-01-01T08:00:00.500000-05:00")):
        assert check(api, settle, text)["known_at"] == echo
