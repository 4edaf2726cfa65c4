"""APScheduler 3.x in its own process. Times are Asia/Shanghai. Late runs are not skipped (misfire grace
of an hour, coalesced), and every job also runs once at start to catch up after downtime."""
import logging

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.blocking import BlockingScheduler

from points.dates import CHINA
from scheduler.jobs import refresh_statuses_job

log = logging.getLogger("points.scheduler")

JOBS = [
    # (function, cron fields)
    (refresh_statuses_job, {"hour": 0, "minute": 0, "second": 5}),
]


def build_scheduler() -> BlockingScheduler:
    scheduler = BlockingScheduler(
        jobstores={"default": MemoryJobStore()},
        job_defaults={"coalesce": True, "misfire_grace_time": 3600, "max_instances": 1},
        timezone=CHINA,
    )
    for func, cron in JOBS:
        scheduler.add_job(func, "cron", id=func.__name__, **cron)

    def _report(event):
        if event.code == EVENT_JOB_MISSED:
            log.warning("job %s missed its run at %s", event.job_id, event.scheduled_run_time)
        else:
            log.error("job %s failed: %r", event.job_id, event.exception)

    scheduler.add_listener(_report, EVENT_JOB_MISSED | EVENT_JOB_ERROR)
    return scheduler


def run() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    for func, _ in JOBS:  # catch up on start
        func()
    build_scheduler().start()
