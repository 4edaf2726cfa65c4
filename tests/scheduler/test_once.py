"""`points scheduler --once` (issue 14): with the lease it runs every job whose period is not done, once, and
releases the lease; without it, it says so and exits 3 (or, with --wait, waits up to the lease's TTL). Each run
writes one JSON line through the API's log writer, its times in UTC."""
import io
import json
import logging
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlmodel import Session

from api import request_log
from api.clock import utcnow
from api.db.models import JobRun, SchedulerLease
from scheduler.jobs import JOBS
from scheduler.lease import Lease
from scheduler.main import EXIT_FAILED, EXIT_OK, EXIT_STANDBY, run_once
from scheduler.runner import Runner

PERIOD_JOBS = {job.name for job in JOBS if job.record_idle}  # the jobs recorded in job_run for every period
UTC_TIME = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"


@pytest.fixture
def job_lines():
    """The log writer's output for this test: its job lines."""
    request_log.start()
    request_log.flush()  # what earlier tests queued goes where they wrote, not into this test's output
    output, before = io.BytesIO(), request_log.WRITER.output
    request_log.start(output=output)

    def lines() -> list[dict]:
        request_log.flush()
        return [line for line in map(json.loads, output.getvalue().splitlines()) if "job" in line]
    yield lines
    request_log.flush()
    request_log.WRITER.output = before


def log_lines(stderr: str) -> list[dict]:
    """The JSON lines of a process's standard error (the interpreter may add a warning of its own)."""
    return [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]


def recorded(engine) -> dict[str, tuple[str, str]]:
    with Session(engine) as session:
        return {r.job: (r.period, r.state) for r in session.scalars(select(JobRun))}


def test_once_runs_every_due_job_once_then_releases_the_lease(engine, policy, clock, job_lines):
    assert run_once(Runner(engine, "scheduler-a", policy, clock)) == EXIT_OK
    assert recorded(engine) == {"year_rollover": ("2026", "succeeded"),
                                "status_transitions": ("2026-12-31", "succeeded"),
                                "claims_recheck": ("2026-12-31T23:55", "succeeded"),
                                "claims_full_sweep": ("2026-12-31", "succeeded"),
                                "snapshot_image": ("2026-12-31T23:55", "succeeded")}
    assert Lease(engine, "anyone").current(clock()) is None  # released: the long-running scheduler need not wait
    first = job_lines()
    assert {line["job"] for line in first} == {job.name for job in JOBS} and len(first) == len(JOBS), [(x["job"], x["outcome"]) for x in first]
    assert {line["outcome"] for line in first} == {"ok"}
    rollover = next(line for line in first if line["job"] == "year_rollover")
    assert rollover["period_china"] == "2026" and rollover["runner"] == "scheduler-a"
    assert rollover["time"] == "2026-12-31T15:59:00.000Z"  # 23:59 in China, written in UTC
    assert rollover["ended_time"] >= rollover["time"] and rollover["duration_ms"] >= 0
    assert rollover["counts"]["year"] == 2026 and "error" not in rollover

    clock.advance(seconds=20)  # a second --once within the minute, by another process: runs, finds it all done
    assert run_once(Runner(engine, "scheduler-b", policy, clock)) == EXIT_OK
    second = job_lines()[len(first):]
    assert {line["job"] for line in second if line["outcome"] == "skipped"} == PERIOD_JOBS
    assert all(line["state"] == "done" for line in second if line["outcome"] == "skipped")
    assert all(run[1] == "succeeded" for run in recorded(engine).values())


def test_once_stands_by_and_exits_3_while_another_scheduler_holds_the_lease(engine, policy, clock, job_lines,
                                                                               caplog):
    assert Lease(engine, "host-b:4242").hold(clock())
    with caplog.at_level(logging.WARNING, logger="points.scheduler"):
        assert run_once(Runner(engine, "scheduler-a", policy, clock)) == EXIT_STANDBY
    assert recorded(engine) == {} and job_lines() == []
    said = " ".join(r.getMessage() for r in caplog.records)
    assert "standby" in said and "host-b:4242" in said and "nothing was run" in said
    assert Lease(engine, "x").current(clock())[0] == "host-b:4242"  # the holder keeps it


def test_once_wait_takes_the_lease_when_its_holder_stops_renewing(engine, policy, clock, job_lines):
    assert Lease(engine, "host-b:4242").hold(clock())  # then host b dies
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        clock.advance(seconds=seconds)

    assert run_once(Runner(engine, "scheduler-a", policy, clock), wait=True, sleep=sleep) == EXIT_OK
    assert 55 <= sum(slept) <= 62  # until the 60 s lease expired
    assert set(recorded(engine)) == PERIOD_JOBS


def test_once_wait_gives_up_after_the_ttl_while_the_holder_renews(engine, policy, clock, job_lines):
    holder = Lease(engine, "host-b:4242")
    assert holder.hold(clock())
    slept = []

    def sleep(seconds):  # host b is alive: it renews every 20 s
        slept.append(seconds)
        clock.advance(seconds=seconds)
        if len(slept) % 20 == 0:
            assert holder.hold(clock())

    assert run_once(Runner(engine, "scheduler-a", policy, clock), wait=True, sleep=sleep) == EXIT_STANDBY
    assert 60 <= sum(slept) <= 62 and recorded(engine) == {}


def test_once_exits_1_when_a_job_fails_and_still_releases_the_lease(engine, policy, clock, job_lines):
    def broken(context):
        raise RuntimeError("disk full")

    jobs = [replace(job, body=broken) if job.name == "status_transitions" else job for job in JOBS]
    assert run_once(Runner(engine, "scheduler-a", policy, clock, jobs=jobs)) == EXIT_FAILED
    assert recorded(engine)["status_transitions"] == ("2026-12-31", "failed")
    assert recorded(engine)["year_rollover"] == ("2026", "succeeded")  # the others still ran
    failed = [line for line in job_lines() if line["outcome"] == "error"]
    assert len(failed) == 1 and failed[0]["job"] == "status_transitions" and failed[0]["state"] == "failed"
    assert failed[0]["error"] == "JOB_FAILED" and "disk full" in failed[0]["error_message"]
    assert Lease(engine, "x").current(clock()) is None


def test_the_command_says_standby_and_exits_3_then_runs_and_releases(engine, tmp_path):
    url = engine.url.render_as_string(hide_password=False)
    env = {**os.environ, "POINTS_DATABASE_URL": url, "POINTS_DATA_DIR": str(tmp_path)}

    def once(*args):
        return subprocess.run([sys.executable, "-m", "api.cli", "scheduler", "--once", *args], env=env,
                              capture_output=True, text=True, timeout=120)

    other = Lease(engine, "host-b:4242")
    assert other.hold(utcnow())
    held = once()
    assert held.returncode == EXIT_STANDBY, held.stderr
    lines = log_lines(held.stderr)
    standby = [line for line in lines if "standby" in line.get("message", "")]
    assert len(standby) == 1 and "host-b:4242" in standby[0]["message"] and standby[0]["level"] == "WARNING"
    assert recorded(engine) == {}

    other.release()
    for _ in range(2):  # the second within the minute too: the first released the lease
        ran = once()
        assert ran.returncode == EXIT_OK, ran.stderr
        lines = log_lines(ran.stderr)
        assert {line["job"] for line in lines if "job" in line} == {job.name for job in JOBS}
        assert all(re.fullmatch(UTC_TIME, line["time"]) for line in lines)
        assert all(re.fullmatch(UTC_TIME, line["ended_time"]) for line in lines if "job" in line)
    assert set(recorded(engine)) == PERIOD_JOBS
    with Session(engine) as session:
        lease = session.get(SchedulerLease, "scheduler")
        assert lease.expires_at < utcnow() - timedelta(days=1)  # released


def test_a_scheduler_stopped_with_sigterm_releases_the_lease(engine, tmp_path):
    """systemd and container runtimes stop with SIGTERM: the standby need not wait for the lease to expire."""
    env = {**os.environ, "POINTS_DATABASE_URL": engine.url.render_as_string(hide_password=False),
           "POINTS_DATA_DIR": str(tmp_path)}
    with open(tmp_path / "stderr", "w") as stderr:
        proc = subprocess.Popen([sys.executable, "-m", "api.cli", "scheduler"], env=env, stdout=subprocess.DEVNULL,
                                stderr=stderr)
    try:
        for _ in range(600):  # up, holding the lease, its catch-up done (the last job has its line)
            held = Lease(engine, "x").current(utcnow())
            caught_up = {line.get("job") for line in log_lines((tmp_path / "stderr").read_text())} >= \
                {job.name for job in JOBS}
            if held and held[0].endswith(f":{proc.pid}") and caught_up:
                break
            time.sleep(0.1)
        else:
            raise AssertionError((tmp_path / "stderr").read_text())
        time.sleep(1)  # from the catch-up to the scheduler's loop: a few milliseconds
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0, (tmp_path / "stderr").read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)
    assert Lease(engine, "x").current(utcnow()) is None
    assert any("stopping" in line.get("message", "") for line in log_lines((tmp_path / "stderr").read_text()))
