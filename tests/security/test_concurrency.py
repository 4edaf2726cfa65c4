"""Parallel requests over a committed database (SQLite or PostgreSQL): one open objection per record however
many are filed at once, and a POST repeated with its Idempotency-Key while the first is still running waits
for it and replays its answer (one change stored, identical bodies), instead of 409 CONCURRENT_CONFLICT.
The races show on PostgreSQL; SQLite serialises writers (BEGIN IMMEDIATE), so there the parallel tests guard
the behaviour and the index tests below reproduce the missing database rule."""
import threading
from datetime import date

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from api.auth.tokens import Role
from api.clock import utcnow
from api.db.engine import make_engine
from api.db.migrate import upgrade
from api.db.models import Claim, IdempotencyRecord, Objection, PointRecord, Practitioner, RecordReview
from tests.app.conftest import case
from tests.db.factories import institution, person, record

CODE = "D110105000123"
N = 30


def in_parallel(n: int, send) -> list:
    """`send(i)` from n threads released together; the responses in thread order."""
    barrier, answers = threading.Barrier(n), [None] * n

    def run(i):
        barrier.wait(30)
        answers[i] = send(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert all(a is not None for a in answers), "a request did not answer in time"
    return answers


def count(api, what, *where) -> int:
    with Session(api.engine) as session:
        return session.scalar(select(func.count()).select_from(what).where(*where))


def a_record(api, sup) -> int:
    r = case(api, sup, 5, "2026-02-10")
    assert r.status_code == 201, r.text
    return r.json()[0]["id"]


def codes(answers) -> list:
    return sorted((r.status_code, r.json()["error"]["code"] if r.status_code >= 400 else None) for r in answers)


def test_parallel_objections_to_one_record_leave_one_open(api, people):
    record_id = a_record(api, people)
    me = api.token(Role.PRACTITIONER, CODE)
    answers = in_parallel(N, lambda i: api.client.post(
        "/v1/me/objections", headers={**me, "Idempotency-Key": f"objection-{i}"},
        json={"record_id": record_id, "reason": f"不是我开的处方 {i}"}))
    assert codes(answers) == [(201, None)] + [(409, "OBJECTION_OPEN")] * (N - 1)
    assert count(api, Objection, Objection.record_id == record_id, Objection.state == "open") == 1


def replayed_once(api, answers, status: int) -> None:
    """All answered `status` with the first answer's body; all but one say they are replays."""
    assert [r.status_code for r in answers] == [status] * len(answers), codes(answers)
    assert len({r.text for r in answers}) == 1
    assert sorted(r.headers.get("Idempotent-Replayed", "") for r in answers) == [""] + ["true"] * (len(answers) - 1)
    assert count(api, IdempotencyRecord, IdempotencyRecord.status_code == 0) == 0  # no claim left unanswered


def test_parallel_claims_with_one_key_are_stored_once_and_replayed(api, people):
    settlement = {**api.token(Role.SETTLEMENT, "110000"), "Idempotency-Key": "batch-2026-03-01"}
    batch = [{"ref": f"BJ-{i}", "institution_code": "H11010500001", "practitioner_code": CODE,
              "service_date": "2026-02-20", "amount": "100.00"} for i in range(20)]
    answers = in_parallel(N, lambda i: api.client.post("/v1/claims", headers=settlement, json=batch))
    replayed_once(api, answers, 200)
    assert [c["duplicate"] for c in answers[0].json()] == [False] * 20
    assert count(api, Claim) == 20


def test_parallel_cases_reviews_and_objections_with_one_key_apply_once(api, people):
    record_id = a_record(api, people)
    sup = {**people, "Idempotency-Key": "case-21"}
    answers = in_parallel(N, lambda i: case(api, sup, 4, "2026-02-12", number="京朝医保罚〔2026〕21号"))
    replayed_once(api, answers, 201)
    assert count(api, PointRecord) == 2

    me = {**api.token(Role.PRACTITIONER, CODE), "Idempotency-Key": "objection-1"}
    answers = in_parallel(N, lambda i: api.client.post(
        "/v1/me/objections", headers=me, json={"record_id": record_id, "reason": "不是我开的处方"}))
    replayed_once(api, answers, 201)
    assert count(api, Objection) == 1

    review = {"outcome": "change", "points": 4, "decided_on": "2026-02-25", "reason": "复核变更"}
    sup = {**people, "Idempotency-Key": "review-1"}
    answers = in_parallel(N, lambda i: api.client.post(f"/v1/records/{record_id}/reviews", headers=sup,
                                                            json=review))
    replayed_once(api, answers, 201)
    assert count(api, RecordReview) == 1


def test_one_key_for_different_requests_at_once_is_refused_not_a_conflict(api, people):
    settlement = {**api.token(Role.SETTLEMENT, "110000"), "Idempotency-Key": "reused"}
    answers = in_parallel(10, lambda i: api.client.post("/v1/claims", headers=settlement, json=[{
        "ref": f"BJ-R{i}", "institution_code": "H11010500001", "practitioner_code": CODE,
        "service_date": "2026-02-20", "amount": "100.00"}]))
    assert codes(answers) == [(200, None)] + [(409, "IDEMPOTENCY_KEY_REUSED")] * 9
    assert count(api, Claim) == 1


def test_the_database_refuses_a_second_open_objection(session, policy):
    institution(session)
    person(session, policy, CODE)
    record_id = record(session, policy, CODE, 4, date(2025, 6, 1)).id
    person_id = session.scalars(select(Practitioner.id)).one()

    def objection(state="open"):
        session.add(Objection(record_id=record_id, practitioner_id=person_id, reason="x", state=state,
                              filed_at=utcnow()))
        session.flush()

    objection("reviewed")
    objection()
    with pytest.raises(IntegrityError), session.begin_nested():
        objection()


def test_upgrading_keeps_the_oldest_open_objection_and_closes_the_others(fresh_database):
    """Rows written as the schema stood at 0011 (plain SQL: today's code expects today's schema)."""
    url = fresh_database()
    upgrade(url, "0011")
    engine = make_engine(url)
    now = {"t": "2025-06-01 00:00:00"}
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO institution (code, name, kind, region, created_at) VALUES "
                          "('H11010500001', '医院', 'hospital', '110105', :t)"), now)
        conn.execute(text("INSERT INTO practitioner (code, name, category, region, created_at, status, "
                          "ledger_version, claims_version, tally, standing_version) VALUES ('D110105000001', '王伟', "
                          "'medical', '110105', :t, 'normal', 0, 0, 0, 0)"), now)
        for points in (4, 5):
            conn.execute(text("INSERT INTO point_record (violation_code, points, responsibility, decision_date, "
                              "case_number, authority, practitioner_id, institution_id, recorded_by, recorded_at, "
                              "authority_region) VALUES ('H01', :p, 'main', '2025-06-01', :c, '医保局', 1, 1, 'x', "
                              ":t, '110105')"), {**now, "p": points, "c": f"CASE-{points}"})
        records = list(conn.scalars(text("SELECT id FROM point_record ORDER BY id")))
        for record_id, state in [(records[0], "open"), (records[0], "reviewed"), (records[0], "open"),
                                 (records[0], "open"), (records[1], "open")]:
            conn.execute(text("INSERT INTO objection (record_id, practitioner_id, reason, state, filed_at) "
                              "VALUES (:r, 1, 'x', :s, :t)"), {**now, "r": record_id, "s": state})
    upgrade(url)
    with Session(engine) as session:
        rows = session.execute(select(Objection.record_id, Objection.state).order_by(Objection.id)).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [(records[0], "open"), (records[0], "reviewed"), (records[0], "duplicate"),
                                        (records[0], "duplicate"), (records[1], "open")]
