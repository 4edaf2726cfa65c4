"""The jobs: what each does, when it runs (Asia/Shanghai), and which period a run covers."""
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.audit_head import checkpoint
from api.claims.service import recheck
from api.eligibility.image import read_header, save_image, usable
from api.eligibility.snapshot import load_snapshot
from api.eligibility.versions import current_standing_version
from api.ledger.status import refresh_statuses, roll_over_year
from api.live import read_session
from api.settings import get_settings
from api.webhooks.delivery import run_webhooks
from api.webhooks.destinations import Allowlist
from points import Policy
from points.dates import CHINA, china_date


@dataclass
class JobContext:
    session: Session
    engine: Engine
    now: datetime
    policy: Policy
    clock: Callable[[], datetime]

    @property
    def today(self) -> date:
        return china_date(self.now)


@dataclass(frozen=True)
class Job:
    name: str
    trigger: dict                          # APScheduler trigger arguments
    period: Callable[[datetime], str]      # the period a run at `now` covers: run once per period
    body: Callable[[JobContext], dict]
    catch_up: bool = True                  # run at start (and on becoming leader) if its period is not done
    record_idle: bool = True               # False: only runs that did something are recorded
    description: str = field(default="", compare=False)


def year_of(now: datetime) -> str:
    return str(china_date(now).year)


def day_of(now: datetime) -> str:
    return china_date(now).isoformat()


def five_minutes_of(now: datetime) -> str:
    local = now.astimezone(CHINA)
    return local.replace(minute=local.minute - local.minute % 5, second=0, microsecond=0).strftime("%Y-%m-%dT%H:%M")


def instant(now: datetime) -> str:
    return now.astimezone(CHINA).strftime("%Y-%m-%dT%H:%M:%S")


def checkpoint_audit_head(c: JobContext) -> dict:
    """Idempotent: nothing is written while the head has not moved (safe twice, or from a late run)."""
    point, written = checkpoint(c.session, now=c.now)
    return {"checkpointed_seq": point.seq if written else 0}


IMAGE_AGE = timedelta(hours=1)  # an image some people changed since is replaced once it is this old


def save_snapshot_image(c: JobContext) -> dict:
    """Idempotent and cheap when nothing is due: everyone is read and saved when the image is missing or not
    usable by this code (after an upgrade), or when someone changed since it and it is an hour old. Read in a
    read-only session, so on SQLite writers wait only for the short write of the image, not for the reading."""
    with read_session(c.engine) as reading:
        version, header = current_standing_version(reading), read_header(reading)
        if usable(header, c.policy.person_prefixes, version) and (
                header["version"] == version or c.now - _saved_at(header) < IMAGE_AGE):
            return {"saved": False, "version": header["version"]}
        snapshot = load_snapshot(reading, c.policy, image=False)
    saved = read_header(c.session)  # another run may have saved a newer one meanwhile
    if usable(saved, c.policy.person_prefixes, current_standing_version(c.session)) and \
            saved["version"] >= snapshot.version:
        return {"saved": False, "version": saved["version"]}
    return {"saved": True, "version": snapshot.version, "people": len(snapshot),
            "bytes": save_image(c.session, snapshot.image(), c.now)}


def _saved_at(header: dict) -> datetime:
    try:
        return datetime.fromisoformat(header["saved_at"])
    except (KeyError, TypeError, ValueError):
        return datetime.min.replace(tzinfo=UTC)


JOBS = [
    Job("year_rollover", {"trigger": "cron", "month": 1, "day": 1, "hour": 0, "minute": 0, "second": 1}, year_of,
        lambda c: roll_over_year(c.session, c.policy, c.today, c.now),
        description="1 January 00:00: tallies cleared, running suspensions continue"),
    Job("status_transitions", {"trigger": "cron", "hour": 0, "minute": 0, "second": 10}, day_of,
        lambda c: {"status_changes": refresh_statuses(c.session, c.policy, c.today, c.now)},
        description="daily: suspensions start and end, bans expire, registrations begin and end"),
    Job("claims_recheck", {"trigger": "interval", "minutes": 5}, five_minutes_of,
        lambda c: recheck(c.session, c.policy, c.now),
        description="every 5 minutes: claims of people whose ledger changed, and of codes now known"),
    Job("claims_full_sweep", {"trigger": "cron", "hour": 2, "minute": 30}, day_of,
        lambda c: recheck(c.session, c.policy, c.now, full=True),
        description="nightly: every claim re-evaluated against current status"),
    Job("webhook_delivery", {"trigger": "interval", "seconds": 30}, instant,
        lambda c: run_webhooks(c.engine, c.clock, Allowlist(get_settings().webhook_allow)), record_idle=False,
        description="every 30 s: fan new status events out to subscriptions, send due webhooks in batches of up "
                    "to 100 events (signed, retried with backoff, only to allowlisted destinations)"),
    Job("snapshot_image", {"trigger": "interval", "minutes": 5}, five_minutes_of, save_snapshot_image,
        description="every 5 minutes: the eligibility snapshot saved for starting API workers when the saved "
                    "one is missing or of other code, or an hour old and someone changed since"),
    Job("audit_checkpoint", {"trigger": "interval", "minutes": 5}, instant, checkpoint_audit_head, record_idle=False,
        description="every 5 minutes: the audit chain's signed head appended to the head file, if it moved"),
]
