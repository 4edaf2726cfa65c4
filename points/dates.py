"""Calendar arithmetic for sanction periods and the points year.

Periods follow the PRC Civil Code: the day a decision is made is not counted, the period starts the next
day (Art. 201), and it ends on the corresponding day of the final month, or on that month's last day when
there is no corresponding day (Art. 202). So a 1-month suspension decided on 31 Jan runs 1 Feb – 28/29 Feb.
"""
import calendar
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")
ONE_DAY = timedelta(days=1)


def add_months(start: date, months: int) -> date:
    """The corresponding day `months` later, clamped to the month's last day (31 Jan + 1 = 28/29 Feb)."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def add_years(start: date, years: int) -> date:
    """29 Feb + 1 year = 28 Feb."""
    return add_months(start, 12 * years)


def period_after(decided_on: date, months: int) -> tuple[date, date]:
    """(first day, last day) of a period of `months` months decided on `decided_on`."""
    return decided_on + ONE_DAY, add_months(decided_on, months)


def china_date(moment: datetime) -> date:
    """The calendar date in China of an aware moment (naive moments are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(CHINA).date()


def points_year(moment: datetime | date) -> int:
    """The natural year in China time that a decision counts in."""
    return (moment if type(moment) is date else china_date(moment)).year
