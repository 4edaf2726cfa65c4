"""The one place that reads the clock, so tests and the scheduler can set 'today'."""
from datetime import date, datetime, timezone

from points.dates import china_date


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def today_in_china() -> date:
    return china_date(utcnow())
