"""APScheduler 3.x in its own process (`points scheduler`). Times are Asia/Shanghai. Late runs are not
skipped (an hour's misfire grace, coalesced); at start, and whenever this process becomes the active scheduler,
every job whose period is not done runs at once. A second scheduler started by mistake stays on standby."""
import logging
import os
import socket

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.blocking import BlockingScheduler

from api.db.engine import default_engine
from api.logs import install_masking
from api.policy import current_policy
from points.dates import CHINA
from scheduler.runner import Runner

log = logging.getLogger("points.scheduler")


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


def run(once: bool = False) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    install_masking()
    runner = Runner(default_engine(), f"{socket.gethostname()}:{os.getpid()}", current_policy())
    if not runner.heartbeat():
        log.info("%s on standby: another scheduler holds the lease", runner.name)
    if once:
        return
    scheduler = build_scheduler(runner)
    try:
        scheduler.start()
    finally:
        runner.lease.release()
