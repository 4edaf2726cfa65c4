"""Runs a job for its period at most once across every scheduler: the lease says who acts, and the job_run
row (unique per job and period) is written in the same transaction as the job's work.

Each run that reaches its period writes one JSON line through the API's log writer (api/request_log.py):
`time` and `ended_time` (UTC), `job`, `period_china` (the period's label, in China time), `duration_ms`,
`outcome` (`ok`, `error`, or `skipped` when the period was already done), `state`, `counts` (what the job
returned), `error` and `error_message` on failure, and `runner`. A standby runner writes no job lines."""
import json
import logging
import time
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session

from api import request_log
from api.clock import utcnow
from api.db.models import JobRun
from points import Policy
from points.errors import DomainError
from points.privacy import mask_id_numbers
from scheduler.jobs import JOBS, Job, JobContext
from scheduler.lease import Lease

log = logging.getLogger("points.scheduler")
STALE_RUN = timedelta(minutes=30)  # our own 'running' row older than this: the thread died


class Runner:
    def __init__(self, engine: Engine, name: str, policy: Policy, clock=utcnow, jobs: list[Job] = JOBS,
                 lease_ttl: timedelta = timedelta(seconds=60)):
        self.engine, self.name, self.policy, self.clock, self.jobs = engine, name, policy, clock, jobs
        self.lease = Lease(engine, name, ttl=lease_ttl)
        self.leader = False

    def heartbeat(self) -> bool:
        """Renew or take the lease; on becoming leader, catch up what the previous one left undone."""
        was, self.leader = self.leader, self.lease.hold(self.clock())
        if self.leader and not was:
            log.info("%s is now the active scheduler", self.name)
            self.catch_up()
        return self.leader

    def catch_up(self) -> dict[str, str]:
        return {job.name: self.run(job) for job in self.jobs if job.catch_up}

    def run(self, job: Job) -> str:
        """'standby' (not the leader), 'done' (period already run), 'succeeded', 'idle' or 'failed'."""
        now, started = self.clock(), time.perf_counter()
        if not self.lease.hold(now):
            if self.leader:
                log.warning("%s lost the scheduler lease: standing by", self.name)
            self.leader = False
            return "standby"
        period = job.period(now)
        run_id = None
        if job.record_idle:
            try:
                run_id = self._claim(job, period, now)
            except Exception as exc:  # the database went away between the lease and the claim
                log.exception("job %s could not claim its period (period_china %s)", job.name, period)
                self._line(job, period, now, started, "failed", error=exc)
                return "failed"
            if run_id is None:
                self._line(job, period, now, started, "done")
                return "done"
        try:
            with Session(self.engine, expire_on_commit=False) as session:
                result = job.body(JobContext(session, self.engine, now, self.policy, self.clock))
                if run_id is not None:
                    self._finish(session, run_id, "succeeded", result)
                elif any(result.values()):
                    session.add(JobRun(job=job.name, period=period, runner=self.name, state="succeeded",
                                       started_at=now, finished_at=self.clock(), detail=json.dumps(result)))
                session.commit()
        except Exception as exc:
            log.exception("job %s failed (period_china %s)", job.name, period)
            if run_id is not None:
                with Session(self.engine) as session:
                    self._finish(session, run_id, "failed", {"error": repr(exc)[:1000]})
                    session.commit()
            self._line(job, period, now, started, "failed", error=exc)
            return "failed"
        state = "succeeded" if run_id is not None or any(result.values()) else "idle"
        self._line(job, period, now, started, state, result)
        return state

    def _line(self, job: Job, period: str, now: datetime, started: float, state: str, result: dict | None = None,
              error: Exception | None = None) -> None:
        """The run's JSON line (see the module's docstring)."""
        seconds = time.perf_counter() - started
        line = {"time": request_log.utc(now.timestamp()), "job": job.name, "period_china": period,
                "ended_time": request_log.utc(now.timestamp() + seconds), "duration_ms": round(seconds * 1000, 3),
                "outcome": "error" if error is not None else "skipped" if state == "done" else "ok", "state": state,
                "counts": json.loads(json.dumps(result or {}, default=str)), "runner": self.name}
        if error is not None:
            line["error"] = error_code(error)
            line["error_message"] = mask_id_numbers(repr(error))[:500]
        request_log.write_line(line)

    def _claim(self, job: Job, period: str, now: datetime) -> int | None:
        """Insert this period's run, or take over a failed or stale one. None: someone has it or had it."""
        with Session(self.engine) as session:
            existing = session.scalars(select(JobRun).where(JobRun.job == job.name, JobRun.period == period)).first()
            if existing is None:
                row = JobRun(job=job.name, period=period, runner=self.name, state="running", started_at=now)
                session.add(row)
                try:
                    session.commit()
                    return row.id
                except IntegrityError:
                    return None
            # Only the lease holder runs jobs: while the lease table names us, another runner's 'running' row
            # was left by a crash. (Without that record, only a stale row is taken over.)
            orphaned = existing.state == "running" and (
                (existing.runner != self.name and self.lease.holder_of_record(session, now) == self.name)
                or existing.started_at < now - STALE_RUN)
            retry = existing.state == "failed" or orphaned
            if not retry:
                return None
            taken = session.execute(update(JobRun).where(JobRun.id == existing.id, JobRun.state == existing.state,
                                                         JobRun.started_at == existing.started_at)
                                    .values(state="running", runner=self.name, started_at=now)).rowcount
            session.commit()
            return existing.id if taken else None

    def _finish(self, session: Session, run_id: int, state: str, detail: dict) -> None:
        session.execute(update(JobRun).where(JobRun.id == run_id).values(
            state=state, finished_at=self.clock(), detail=json.dumps(detail, default=str, ensure_ascii=False)))


def error_code(exc: Exception) -> str:
    """The code a job line reports: the domain's own, else what the API would answer for the same failure."""
    if isinstance(exc, DomainError):
        return exc.code
    if isinstance(exc, OperationalError):
        return "DATABASE_UNAVAILABLE"
    if isinstance(exc, IntegrityError):
        return "CONCURRENT_CONFLICT"
    return "JOB_FAILED"
