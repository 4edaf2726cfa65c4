"""Two schedulers at once: only the lease holder acts, and even two acting at once run a period once."""
import os
import subprocess
import sys
import threading
from collections import Counter
from datetime import timedelta

from sqlalchemy import select
from sqlmodel import Session

from api.db.engine import make_engine
from api.db.models import JobRun, SchedulerLease
from scheduler.jobs import JOBS
from scheduler.lease import Lease
from scheduler.runner import Runner
from tests.scheduler.conftest import china


def test_the_lease_has_one_holder_until_it_expires(engine, clock):
    a, b = Lease(engine, "a", ttl=timedelta(seconds=60)), Lease(engine, "b", ttl=timedelta(seconds=60))
    now = clock()
    assert a.hold(now) and not b.hold(now)
    assert a.hold(now + timedelta(seconds=30)) and not b.hold(now + timedelta(seconds=60))
    assert b.hold(now + timedelta(seconds=91))  # a stopped renewing
    assert not a.hold(now + timedelta(seconds=92))
    b.release()
    assert a.hold(now + timedelta(seconds=93))


def _race(engine_url, policy, clock, names, lease_for):
    results, barrier = {}, threading.Barrier(len(names))

    def go(name):
        engine = make_engine(engine_url)
        runner = Runner(engine, name, policy, clock)
        if lease_for:
            runner.lease = lease_for(runner)
        barrier.wait()
        try:
            results[name] = runner.catch_up()
        except Exception as exc:  # recorded so the assertion shows it
            results[name] = {"error": repr(exc)}
        engine.dispose()

    threads = [threading.Thread(target=go, args=(n,)) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def _recorded(engine):
    with Session(engine) as session:
        return Counter((r.job, r.period, r.state) for r in session.scalars(select(JobRun)))


def test_two_schedulers_started_together_only_one_acts(engine, policy, clock):
    url = engine.url.render_as_string(hide_password=False)
    results = _race(url, policy, clock, ["a", "b"], None)
    acted = [n for n, r in results.items() if set(r.values()) != {"standby"}]
    assert len(acted) == 1, results
    counts = _recorded(engine)
    assert all(n == 1 for n in counts.values()) and len(counts) == sum(job.record_idle for job in JOBS)  # each job with a period, once


def test_even_two_leaders_at_once_run_each_period_once(engine, policy, clock):
    class Always:  # split brain: both believe they hold the lease
        ttl = timedelta(seconds=60)

        def hold(self, now):
            return True

        def holder_of_record(self, session, now):
            return None  # the lease table names nobody: each believes it holds the lease

    url = engine.url.render_as_string(hide_password=False)
    results = _race(url, policy, clock, ["a", "b", "c"], lambda runner: Always())
    outcomes = Counter(state for r in results.values() for name, state in r.items() if name != "webhook_delivery")
    periods = sum(job.record_idle for job in JOBS)  # each run once, and found done by the two others
    assert outcomes["succeeded"] == periods and outcomes["done"] == 2 * periods, results
    assert all(n == 1 for n in _recorded(engine).values())


def test_two_scheduler_processes(engine, tmp_path):
    url = engine.url.render_as_string(hide_password=False)
    env = {**os.environ, "POINTS_DATABASE_URL": url, "POINTS_DATA_DIR": str(tmp_path)}
    command = [sys.executable, "-m", "api.cli", "scheduler", "--once"]
    procs = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for _ in range(2)]
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    # usually one finds the other holding the lease (exit 3, "standby"); one started after the other released
    # the lease runs and finds every period done (exit 0)
    codes = sorted(p.returncode for p in procs)
    assert codes in ([0, 0], [0, 3]), outputs
    assert sum("standby" in out for out in outputs) == codes.count(3), outputs
    assert all(n == 1 for n in _recorded(engine).values())
    with Session(engine) as session:
        assert len(session.scalars(select(SchedulerLease)).all()) == 1


def test_a_runner_that_loses_the_lease_stands_by(engine, policy, clock):
    a, b = Runner(engine, "a", policy, clock), Runner(engine, "b", policy, clock)
    assert a.heartbeat() and not b.heartbeat()
    clock.moment = china(2027, 1, 1, 0, 5)  # a stopped renewing long ago
    assert b.heartbeat() and b.leader
    assert set(a.catch_up().values()) == {"standby"} and not a.leader
