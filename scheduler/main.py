"""APScheduler 3.x in its own process (`points scheduler`). Times are Asia/Shanghai. Late runs are not
skipped (an hour's misfire grace, coalesced); at start, and whenever this process becomes the active scheduler,
every job whose period is not done runs at once. A second scheduler started by mistake stays on standby.

Logs are the API's JSON lines on standard error (api/request_log.py): one line per job run (scheduler/runner.py)
and one per other record; every `time` is UTC.

`points scheduler --once` takes the lease, runs every job whose period is not done, releases the lease and
exits: 0 when every job ran or was done already, 1 when one failed, 3 (EXIT_STANDBY) when another scheduler
holds the lease (with `--wait`: after waiting up to the lease's TTL for it)."""
import logging
import logging.config
import os
import signal
import socket
import time
from datetime import timedelta

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.blocking import BlockingScheduler

from api import request_log
from api.db.engine import default_engine
from api.logs import install_masking
from api.policy import current_policy
from points.dates import CHINA
from scheduler.runner import Runner

log = logging.getLogger("points.scheduler")
EXIT_OK, EXIT_FAILED, EXIT_STANDBY = 0, 1, 3  # `points scheduler --once`
WAIT_POLL = timedelta(seconds=1)  # --once --wait: how often the lease is tried


def build_scheduler(runner: Runner) -> BlockingScheduler:
    scheduler = BlockingScheduler(
        jobstores={"default": MemoryJobStore()},
        executors={"default": ThreadPoolExecutor(4)},  # a slow webhook receiver cannot hold up the others
        job_defaults={"coalesce": True, "misfire_grace_time": 3600, "max_instances": 1},
        timezone=CHINA,
    )
    for job in runner.jobs:
        scheduler.add_job(runner.run, args=[job], id=job.name, name=job.description, **job.trigger)
    scheduler.add_job(runner.heartbeat, "interval", seconds=max(1, runner.lease.ttl.total_seconds() / 3),
                      id="lease_heartbeat")

    def _report(event):
        if event.code == EVENT_JOB_MISSED:
            log.warning("job %s missed its run at %s", event.job_id, event.scheduled_run_time)
        else:
            log.error("job %s raised: %r", event.job_id, event.exception)

    scheduler.add_listener(_report, EVENT_JOB_MISSED | EVENT_JOB_ERROR)
    return scheduler


def configure_logging() -> None:
    """The API's log: JSON lines written by one thread (api/request_log.py). APScheduler's own INFO records
    ("Running job ...") are left out: each run has its job line."""
    logging.config.dictConfig(request_log.LOG_CONFIG)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    install_masking()
    request_log.start()


def _utc(moment) -> str:
    return request_log.utc(moment.timestamp())


def run_once(runner: Runner, wait: bool = False, sleep=time.sleep) -> int:
    """Take the lease (waiting up to its TTL for it when `wait`), run every job whose period is not done, release
    the lease. Returns the exit status: EXIT_OK, EXIT_FAILED (a job failed) or EXIT_STANDBY (no lease)."""
    deadline = runner.clock() + runner.lease.ttl + WAIT_POLL
    waiting = False
    while not runner.lease.hold(runner.clock()):
        held = runner.lease.current(runner.clock())
        holder = f"{held[0]} until {_utc(held[1])}" if held else "another scheduler"
        if not wait or runner.clock() >= deadline:
            log.warning("scheduler --once: on standby, the lease is held by %s; nothing was run (exit %d)%s",
                        holder, EXIT_STANDBY, "" if wait else "; --wait waits for it")
            return EXIT_STANDBY
        if not waiting:
            log.info("scheduler --once: the lease is held by %s; waiting up to %d s", holder,
                     (deadline - runner.clock()).total_seconds())
            waiting = True
        sleep(WAIT_POLL.total_seconds())
    runner.leader = True
    try:
        outcomes = runner.catch_up()
    finally:
        runner.lease.release()
        runner.leader = False
    failed = sorted(name for name, outcome in outcomes.items() if outcome == "failed")
    if failed:
        log.error("scheduler --once: %s failed (exit %d)", ", ".join(failed), EXIT_FAILED)
        return EXIT_FAILED
    if "standby" in outcomes.values():
        log.warning("scheduler --once: lost the lease before every job ran (exit %d)", EXIT_STANDBY)
        return EXIT_STANDBY
    log.info("scheduler --once: every job due has run; lease released")
    return EXIT_OK


def run(once: bool = False, wait: bool = False) -> int:
    """The scheduler until stopped; with `once`, one catch-up (see run_once). Returns the exit status."""
    configure_logging()
    runner = Runner(default_engine(), f"{socket.gethostname()}:{os.getpid()}", current_policy())
    if once:
        return run_once(runner, wait)
    if not runner.heartbeat():
        log.info("%s on standby: another scheduler holds the lease", runner.name)
    scheduler = build_scheduler(runner)
    # systemd and container runtimes stop a service with SIGTERM: stop as on Ctrl-C, let running jobs finish,
    # then release the lease, so a standby takes over at its next heartbeat instead of when the lease expires
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        scheduler.start()
    except KeyboardInterrupt:
        log.info("%s stopping: running jobs finish, then the lease is released", runner.name)
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=True)
        runner.lease.release()
    return EXIT_OK
