"""Jobs at day granularity under a frozen clock: New Year, a suspension's end, catch-up, idempotence."""
import json
from datetime import date, datetime, timezone

from sqlalchemy import select
from sqlmodel import Session

from api.auth.tokens import Principal, Role
from api.db.models import JobRun, Practitioner, StatusEvent
from scheduler.jobs import JOBS
from tests.scheduler.conftest import china, record, seed

JOB = {job.name: job for job in JOBS}
A, B = "D110105000001", "D110105000002"
SETTLEMENT = Principal("t-settle", Role.SETTLEMENT, "110000", "settlement", datetime(2099, 1, 1, tzinfo=timezone.utc))


def snapshot(engine, code):
    with Session(engine) as session:
        p = session.scalars(select(Practitioner).where(Practitioner.code == code)).one()
        return p.status, p.status_until, p.tally, p.tally_year


def runs(engine, job):
    with Session(engine) as session:
        return [(r.period, r.state) for r in session.scalars(select(JobRun).where(JobRun.job == job).order_by(JobRun.id))]


def test_new_year_clears_tallies_and_running_suspensions_continue(engine, policy, runner, clock):
    seed(engine, policy, A)
    seed(engine, policy, B)
    record(engine, policy, A, 8, date(2026, 12, 10), date(2026, 12, 10))
    record(engine, policy, B, 9, date(2026, 12, 20), date(2026, 12, 20))  # suspended 21 Dec – 20 Jan
    assert runner.run(JOB["year_rollover"]) == "succeeded"  # 31 Dec 23:59 China: period 2026
    assert snapshot(engine, A)[2:] == (8, 2026)
    clock.moment = china(2027, 1, 1, 0, 0, 1)
    assert runner.run(JOB["year_rollover"]) == "succeeded"
    assert snapshot(engine, A)[2:] == (0, 2027)
    assert snapshot(engine, B) == ("suspended", date(2027, 1, 20), 0, 2027)
    assert runner.run(JOB["year_rollover"]) == "done"  # twice: same result, one run per year
    assert runs(engine, "year_rollover") == [("2026", "succeeded"), ("2027", "succeeded")]
    record(engine, policy, A, 1, date(2027, 1, 2), date(2027, 1, 2))
    assert snapshot(engine, A)[:3] == ("normal", None, 1)  # 8 + 1 across the year boundary is not 9


def test_a_suspension_ends_by_itself_and_the_change_is_emitted(engine, policy, runner, clock):
    seed(engine, policy, A)
    record(engine, policy, A, 9, date(2026, 2, 10), date(2026, 2, 10))  # suspended 11 Feb – 10 Mar
    clock.moment = china(2026, 3, 10, 23, 59, 59)
    assert runner.run(JOB["status_transitions"]) == "succeeded"
    assert snapshot(engine, A)[0] == "suspended"
    clock.moment = china(2026, 3, 11, 0, 0, 10)
    assert runner.run(JOB["status_transitions"]) == "succeeded"
    assert snapshot(engine, A)[:2] == ("normal", None)
    with Session(engine) as session:
        events = [(e.previous_status, e.status, e.effective_on, e.cause)
                  for e in session.scalars(select(StatusEvent).order_by(StatusEvent.id))]
    assert events[-1] == ("suspended", "normal", date(2026, 3, 11), "calendar")
    assert ("normal", "suspended") in [e[:2] for e in events]  # the record itself changed the status at once


def test_after_downtime_over_new_year_the_scheduler_catches_up_on_start(engine, policy, runner, clock):
    seed(engine, policy, A)
    record(engine, policy, A, 9, date(2026, 12, 28), date(2026, 12, 28))  # suspended 29 Dec – 28 Jan
    clock.moment = china(2026, 12, 29, 8)
    runner.catch_up()
    clock.moment = china(2027, 1, 3, 9, 30)  # down from 29 Dec to 3 Jan
    outcome = runner.catch_up()
    assert outcome["year_rollover"] == "succeeded" and outcome["status_transitions"] == "succeeded"
    assert snapshot(engine, A) == ("suspended", date(2027, 1, 28), 0, 2027)
    assert runner.catch_up()["year_rollover"] == "done"
    detail = json.loads(next(iter(_details(engine, "year_rollover", "2027"))))
    assert detail["year"] == 2027 and detail["tallies_cleared"] >= 1


def _details(engine, job, period):
    with Session(engine) as session:
        return session.scalars(select(JobRun.detail).where(JobRun.job == job, JobRun.period == period)).all()


def test_a_failed_run_is_recorded_and_retried(engine, policy, runner, clock):
    from dataclasses import replace

    calls = []

    def flaky(context):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database hiccup")
        return {"ok": 1}

    job = replace(JOB["status_transitions"], body=flaky)
    assert runner.run(job) == "failed"
    assert runs(engine, "status_transitions") == [("2026-12-31", "failed")]
    assert runner.run(job) == "succeeded"
    assert runner.run(job) == "done"
    assert runs(engine, "status_transitions") == [("2026-12-31", "succeeded")]


def test_claims_recheck_releases_claims_held_for_a_code_registered_later(engine, policy, runner, clock):
    from datetime import datetime, timezone

    from api.claims.schemas import ClaimIn
    from api.claims.service import submit

    with Session(engine) as session:
        [result] = submit(session, SETTLEMENT, [ClaimIn(
            ref="X1", institution_code="H11010500001", practitioner_code=A, service_date=date(2026, 12, 1),
            amount="50.00")], policy, date(2026, 12, 31), datetime.now(timezone.utc))
        session.commit()
    assert (result["state"], result["reason"]) == ("blocked", "UNKNOWN_PRACTITIONER")
    seed(engine, policy, A)
    assert runner.run(JOB["claims_recheck"]) == "succeeded"
    from api.db.models import Claim

    with Session(engine) as session:
        claim = session.scalars(select(Claim).where(Claim.ref == "X1")).one()
    assert (claim.state, claim.reason) == ("payable", "ELIGIBLE")
    assert runner.run(JOB["claims_recheck"]) == "done"  # same 5-minute slot
    clock.advance(minutes=5)
    assert runner.run(JOB["claims_recheck"]) == "succeeded"


def test_year_rollover_fires_at_midnight_china_time():
    from datetime import datetime

    from apscheduler.triggers.cron import CronTrigger

    from points.dates import CHINA

    spec = {k: v for k, v in JOB["year_rollover"].trigger.items() if k != "trigger"}
    trigger = CronTrigger(timezone=CHINA, **spec)
    fire = trigger.get_next_fire_time(None, datetime(2026, 12, 31, 23, 0, tzinfo=CHINA))
    assert fire == datetime(2027, 1, 1, 0, 0, 1, tzinfo=CHINA)


def test_the_full_sweep_moves_every_claim_to_match_current_standing(engine, policy, runner, clock):
    from datetime import datetime, timezone

    from sqlalchemy import update

    from api.claims.schemas import ClaimIn
    from api.claims.service import submit
    from api.db.models import Claim

    seed(engine, policy, A)
    record(engine, policy, A, 9, date(2026, 2, 10), date(2026, 2, 11))  # suspended 11 Feb – 10 Mar
    claims = [ClaimIn(ref=f"S{i}", institution_code="H11010500001", practitioner_code=A,
                      service_date=date(2026, 2, d), amount="10.00") for i, d in enumerate((5, 15, 25))]
    with Session(engine) as session:
        submit(session, SETTLEMENT, claims, policy, date(2026, 3, 1), datetime.now(timezone.utc))
        # a drifted row, as if a change had been missed: the sweep must put it right
        session.execute(update(Claim).where(Claim.ref == "S1").values(state="payable", reason="ELIGIBLE"))
        session.execute(update(Claim).where(Claim.ref == "S2").values(state="paid", reason="ELIGIBLE"))
        session.commit()
    clock.moment = china(2026, 3, 1, 2, 30)
    assert runner.run(JOB["claims_full_sweep"]) == "succeeded"
    with Session(engine) as session:
        states = dict(session.execute(select(Claim.ref, Claim.state)).all())
        checked = dict(session.execute(select(Claim.ref, Claim.checked_at)).all())
    assert states == {"S0": "payable", "S1": "blocked", "S2": "recovery"}
    assert checked["S1"] == checked["S2"] == china(2026, 3, 1, 2, 30) != checked["S0"]  # moved: checked then
    detail = json.loads(_details(engine, "claims_full_sweep", "2026-03-01")[0])
    assert detail == {"claims": 3, "blocked": 1, "recovery": 1}
