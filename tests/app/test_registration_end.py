"""Ending a registration (注销 / 变更) over the API and the supervisor's page: the person is unregistered after
the last registered day unless another registration is in force, the single check and claims follow at once,
and re-registration works as before (a ban still bars it). The app's clock reads 2026-03-01."""
import re

import pytest
from sqlalchemy import select
from sqlmodel import Session

from api.auth.tokens import Role
from api.db.models import Registration
from tests.app.conftest import case

pytestmark = pytest.mark.db
CODE, FIRST, SECOND = "D110105000123", "H11010500001", "H11010500002"


def registrations(api, sup, code=CODE) -> list[dict]:
    return api.client.get(f"/v1/practitioners/{code}", headers=sup).json()["registrations"]


def end(api, sup, registration_id, ends_on="2026-02-15", reason="注销: 离职", **headers):
    return api.client.post(f"/v1/registrations/{registration_id}/end", headers={**sup, **headers},
                           json={"ends_on": ends_on, "reason": reason})


def check(api, day, code=CODE) -> dict:
    r = api.client.get("/v1/eligibility", headers=api.token(Role.SETTLEMENT, "110000"),
                       params={"code": code, "date": day})
    assert r.status_code == 200, r.text
    return r.json()


def test_ending_the_only_registration_makes_the_person_unregistered_after_its_last_day(api, people):
    assert check(api, "2026-02-20")["eligible"] is True  # the snapshot holds the open registration
    first = registrations(api, people)[0]
    assert (first["institution_code"], first["ends_on"]) == (FIRST, None)

    r = end(api, people, first["id"])
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "unregistered"
    assert [(x["id"], x["ends_on"], x["end_reason"]) for x in r.json()["registrations"]] == [
        (first["id"], "2026-02-15", "注销: 离职")]

    assert check(api, "2026-02-15")["eligible"] is True  # the last registered day
    answer = check(api, "2026-02-16")
    assert (answer["eligible"], answer["status"], answer["reason"]) == (False, "unregistered", "UNREGISTERED")
    with Session(api.engine) as s:
        row = s.get(Registration, first["id"])
        assert (row.ends_on.isoformat(), row.ended_by, row.end_reason) == ("2026-02-15", "北京市医保局 李科长",
                                                                          "注销: 离职")
        assert row.ended_at is not None
    history = api.client.get(f"/v1/practitioners/{CODE}/history", headers=people).json()["items"]
    ended = next(h for h in history if h["action"] == "registration.end")
    assert (ended["reason"], ended["before"], ended["after"]) == ("注销: 离职", {"ends_on": None},
                                                                  {"ends_on": "2026-02-15"})
    assert any(h["action"] == "practitioner.status" and h["after"]["status"] == "unregistered" for h in history)


def test_another_registration_in_force_keeps_the_person_registered_and_a_move_has_no_gap(api, people):
    r = api.client.post("/v1/registrations", headers=people, json={
        "practitioner_code": CODE, "institution_code": SECOND, "starts_on": "2026-02-16"})
    assert r.status_code == 201, r.text
    first = next(x for x in r.json()["registrations"] if x["institution_code"] == FIRST)
    r = end(api, people, first["id"], reason="变更: 调往朝阳第二医院")
    assert r.status_code == 200 and r.json()["status"] == "normal"
    for day in ("2026-02-15", "2026-02-16", "2026-02-28"):
        assert check(api, day)["eligible"] is True, day
    second = next(x for x in registrations(api, people) if x["institution_code"] == SECOND)
    assert end(api, people, second["id"], "2026-02-20", "注销").json()["status"] == "unregistered"
    assert check(api, "2026-02-21")["reason"] == "UNREGISTERED"


def test_claims_for_service_dates_after_the_end_are_blocked_or_flagged_for_recovery(api, people):
    settle = api.token(Role.SETTLEMENT, "110000")
    claims = [{"ref": ref, "institution_code": FIRST, "practitioner_code": CODE, "service_date": day,
               "amount": "10.00"} for ref, day in (("BEFORE", "2026-02-15"), ("AFTER", "2026-02-20"),
                                                   ("PAID", "2026-02-25"))]
    assert [c["state"] for c in api.client.post("/v1/claims", headers=settle, json=claims).json()] == ["payable"] * 3
    assert api.client.post("/v1/claims/PAID/payment", headers=settle).json()["state"] == "paid"

    assert end(api, people, registrations(api, people)[0]["id"]).status_code == 200
    by_state = {state: [(c["ref"], c["reason"]) for c in api.client.get(
        "/v1/claims", headers=settle, params={"status": state}).json()["items"]]
        for state in ("payable", "blocked", "recovery")}
    assert by_state == {"payable": [("BEFORE", "ELIGIBLE")], "blocked": [("AFTER", "UNREGISTERED")],
                        "recovery": [("PAID", "UNREGISTERED")]}


def test_an_end_must_lie_between_the_start_and_today_and_needs_a_reason(api, people):
    registration_id = registrations(api, people)[0]["id"]
    refused = {
        ("2024-12-31", "注销"): (422, "REGISTRATION_END_BEFORE_START"),  # registered 2025-01-01
        ("2026-03-02", "注销"): (422, "REGISTRATION_END_IN_FUTURE"),     # today is 2026-03-01
        ("2026-02-15", ""): (422, "INVALID_REQUEST"),
    }
    for (ends_on, reason), expected in refused.items():
        r = end(api, people, registration_id, ends_on, reason)
        assert (r.status_code, r.json()["error"]["code"]) == expected, r.text
    r = api.client.post(f"/v1/registrations/{registration_id}/end", headers=people, json={"ends_on": "2026-02-15"})
    assert (r.status_code, r.json()["error"]["code"]) == (422, "INVALID_REQUEST")
    assert registrations(api, people)[0]["ends_on"] is None
    assert end(api, people, registration_id, "2025-01-01").status_code == 200  # a one-day registration
    assert end(api, people, registration_id, "2026-03-01").status_code == 409


def test_ending_twice_is_a_conflict_and_an_unknown_or_foreign_registration_reads_as_unknown(api, people):
    registration_id = registrations(api, people)[0]["id"]
    assert end(api, people, registration_id, "2026-03-01").status_code == 200  # today is allowed
    r = end(api, people, registration_id, "2026-02-01")
    assert (r.status_code, r.json()["error"]["code"]) == (409, "REGISTRATION_ENDED")
    assert registrations(api, people)[0]["ends_on"] == "2026-03-01"

    shanghai = api.token(Role.SUPERVISOR, "310000")
    for who, rid in ((people, 2**31 - 1), (shanghai, registration_id)):
        r = end(api, who, rid)
        assert (r.status_code, r.json()["error"]["code"]) == (404, "REGISTRATION_NOT_FOUND")
    r = end(api, api.token(Role.INSTITUTION, FIRST), registration_id)
    assert (r.status_code, r.json()["error"]["code"]) == (403, "ROLE_NOT_ALLOWED")


def test_only_a_supervisor_of_the_institutions_region_may_end_a_registration_there(api, people):
    """The person's home region sees a registration in Shanghai (多点执业), but may not end it."""
    shanghai = api.token(Role.SUPERVISOR, "310000")
    assert api.client.post("/v1/institutions", headers=shanghai, json={
        "code": "H31010100001", "name": "瑞金医院", "kind": "hospital", "region": "310101"}).status_code == 201
    assert api.client.post("/v1/registrations", headers=shanghai, json={
        "practitioner_code": CODE, "institution_code": "H31010100001", "starts_on": "2026-03-01"}).status_code == 201
    there = next(x["id"] for x in registrations(api, people) if x["institution_code"] == "H31010100001")
    r = end(api, people, there, "2026-03-01")
    assert (r.status_code, r.json()["error"]["code"]) == (404, "REGISTRATION_NOT_FOUND")
    assert end(api, shanghai, there, "2026-03-01").status_code == 200


def test_an_idempotency_key_ends_once_and_replays_the_answer(api, people):
    registration_id = registrations(api, people)[0]["id"]
    first = end(api, people, registration_id, **{"Idempotency-Key": "end-1"})
    again = end(api, people, registration_id, **{"Idempotency-Key": "end-1"})
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.headers.get("Idempotent-Replayed") == "true" and again.json() == first.json()
    other = end(api, people, registration_id, "2026-02-10", **{"Idempotency-Key": "end-1"})
    assert (other.status_code, other.json()["error"]["code"]) == (409, "IDEMPOTENCY_KEY_REUSED")
    history = api.client.get(f"/v1/practitioners/{CODE}/history", headers=people).json()["items"]
    assert [h["action"] for h in history].count("registration.end") == 1


def test_re_registration_after_an_end_works_and_a_ban_still_bars_it(api, people):
    registration_id = registrations(api, people)[0]["id"]
    assert end(api, people, registration_id, "2026-02-15").status_code == 200
    r = api.client.post("/v1/registrations", headers=people, json={
        "practitioner_code": CODE, "institution_code": FIRST, "starts_on": "2026-02-20"})
    assert r.status_code == 201 and r.json()["status"] == "normal"
    assert [check(api, d)["eligible"] for d in ("2026-02-17", "2026-02-20")] == [False, True]

    assert case(api, people, 12, "2026-02-25", violation="F01").status_code == 201  # 3-year ban
    again = next(x["id"] for x in registrations(api, people) if x["ends_on"] is None)
    assert end(api, people, again, "2026-02-28").json()["status"] == "banned"
    r = api.client.post("/v1/registrations", headers=people, json={
        "practitioner_code": CODE, "institution_code": SECOND, "starts_on": "2026-03-01"})
    assert (r.status_code, r.json()["error"]["code"]) == (422, "REGISTRATION_BANNED")


def test_of_parallel_ends_of_one_registration_exactly_one_is_taken(api, people):
    from datetime import date

    from api.errors import Conflict
    from api.ledger import service as ledger
    from api.ledger.schemas import RegistrationEnd
    from tests.db.test_concurrency import in_parallel

    registration_id, outcomes = registrations(api, people)[0]["id"], []

    def end_it(session, i):
        try:
            ledger.end_registration(session, f"supervisor-{i}", registration_id, RegistrationEnd(
                ends_on=f"2026-02-{1 + i:02d}", reason="注销"), api.app.state.policy, date(2026, 3, 1))
            outcomes.append("ended")
        except Conflict as exc:
            outcomes.append(exc.code)

    assert in_parallel(api.engine, end_it, 6) == []
    assert sorted(outcomes) == ["REGISTRATION_ENDED"] * 5 + ["ended"]
    history = api.client.get(f"/v1/practitioners/{CODE}/history", headers=people).json()["items"]
    assert [h["action"] for h in history].count("registration.end") == 1


# --- The supervisor's page -------------------------------------------------------------------------------------

def _sign_in(api, role=Role.SUPERVISOR, scope="110000", name="北京市医保局 李科长"):
    from tests.app.test_pages import sign_in

    sign_in(api, role, scope, name)


def _end_form(page: str, registration_id: int) -> dict:
    form = re.search(rf'<form[^>]*action="/ui/people/{CODE}/registrations/{registration_id}/end"(.*?)</form>',
                     page, re.S).group(1)
    value = lambda name: re.search(rf'name="{name}" value="([^"]*)"', form).group(1)  # noqa: E731
    return {"csrf": value("csrf"), "form_key": value("form_key")}


def test_the_page_ends_an_open_registration_and_shows_a_refused_form_again_in_its_language(api, people):
    registration_id = registrations(api, people)[0]["id"]
    _sign_in(api)
    page = api.client.get(f"/ui/people/{CODE}").text
    form = _end_form(page, registration_id)
    url = f"/ui/people/{CODE}/registrations/{registration_id}/end"

    r = api.client.post(url, data={**form, "ends_on": "2024-06-01", "reason": "留着我"})
    assert r.status_code == 422 and "REGISTRATION_END_BEFORE_START" in r.text
    assert "最后登记日不能早于登记开始日期" in r.text
    assert 'value="留着我"' in r.text and 'value="2024-06-01"' in r.text
    api.client.get("/ui/lang", params={"to": "en"})
    r = api.client.post(url, data={**form, "ends_on": "2026-03-02", "reason": "留着我"})
    assert r.status_code == 422 and "cannot be after today" in r.text
    r = api.client.post(url, data={**form, "ends_on": "2026-02-15", "reason": ""})
    assert r.status_code == 422 and 'id="err-reason"' in r.text
    r = api.client.post(url, data={**form, "csrf": "forged", "ends_on": "2026-02-15", "reason": "注销"})
    assert r.status_code == 403 and "CSRF_FAILED" in r.text
    assert registrations(api, people)[0]["ends_on"] is None

    done = api.client.post(url, data={**form, "ends_on": "2026-02-15", "reason": "注销"}, follow_redirects=False)
    again = api.client.post(url, data={**form, "ends_on": "2026-02-15", "reason": "注销"}, follow_redirects=False)
    assert done.headers["location"].endswith("?done=ended") and again.headers["location"].endswith("?done=replayed")
    page = api.client.get(done.headers["location"]).text
    assert "Registration ended." in page and 'data-status="unregistered"' in page
    assert "2026-02-15" in page and f'registrations/{registration_id}/end"' not in page
    with Session(api.engine) as s:
        assert s.scalar(select(Registration.end_reason).where(Registration.id == registration_id)) == "注销"


def test_the_page_offers_no_end_form_for_another_regions_registration_nor_to_the_person(api, people):
    shanghai = api.token(Role.SUPERVISOR, "310000")
    api.client.post("/v1/institutions", headers=shanghai, json={
        "code": "H31010100001", "name": "瑞金医院", "kind": "hospital", "region": "310101"})
    api.client.post("/v1/registrations", headers=shanghai, json={
        "practitioner_code": CODE, "institution_code": "H31010100001", "starts_on": "2026-03-01"})
    here, there = (next(x["id"] for x in registrations(api, people) if x["institution_code"] == c)
                   for c in (FIRST, "H31010100001"))
    _sign_in(api)
    page = api.client.get(f"/ui/people/{CODE}").text
    assert f'registrations/{here}/end"' in page and f'registrations/{there}/end"' not in page
    form = _end_form(page, here)
    r = api.client.post(f"/ui/people/{CODE}/registrations/{there}/end",
                        data={**form, "ends_on": "2026-03-01", "reason": "注销"})
    assert r.status_code == 404 and "未找到该登记备案" in r.text

    _sign_in(api, Role.PRACTITIONER, CODE, "王伟")
    me = api.client.get("/ui/me").text
    assert 'id="registrations"' in me and "/end\"" not in me
