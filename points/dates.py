"""Calendar arithmetic for sanction periods and the points year.

Periods follow the PRC Civil Code: the day a decision is made is not counted, the period starts the next
day (Art. 201), and it ends on the corresponding day of the final month, or on that month's last day when
there is no corresponding day (Art. 202). So a 1-month suspension decided on 31 Jan runs 1 Feb – 28/29 Feb.
"""
import calendar
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from points.errors import RuleViolation

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


# --- Dates as sent: exactly YYYY-MM-DD, a real calendar day, within one range ------------------------------
# One range for every date the service takes (decisions, registrations, repairs, claims' service dates,
# eligibility checks): the points system starts in 2025, but registrations and claims under recovery may be
# older, and bans run years ahead. Anything outside is a typing error (0001-01-01, 9999-12-31).
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)
_JSON_KINDS = {type(None): "null", bool: "a boolean", int: "a number", float: "a number", list: "an array",
               dict: "an object"}
_DAYS: dict[str, date] = {}  # every valid text seen (at most the 36,525 days of the range)


def _shown(value) -> str:
    if type(value) is str:
        return repr(value if len(value) <= 40 else value[:40] + "…")
    if type(value) in (int, float):
        return str(value)[:40]
    return _JSON_KINDS.get(type(value), f"a {type(value).__name__}")


def _parse(text) -> date:
    if (type(text) is str and len(text) == 10 and text.isascii() and text[4] == "-" == text[7]
            and text[:4].isdigit() and text[5:7].isdigit() and text[8:].isdigit()):
        try:
            day = date.fromisoformat(text)
        except ValueError:  # 2025-02-30, 2025-13-01
            pass
        else:
            return in_range(day)
    raise RuleViolation(f"{_shown(text)} is not a date (YYYY-MM-DD)", "INVALID_DATE")


def in_range(day: date) -> date:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise RuleViolation(f"{day} is outside {FIRST_DAY}..{LAST_DAY}", "DATE_OUT_OF_RANGE")
    return day


def parse_day(text) -> date:
    """A date as sent (a string, or a JSON value): only `YYYY-MM-DD` naming a real day in FIRST_DAY..LAST_DAY.
    Not 20250420, 2025-W17-1, 2025-05-05T00:00:00 nor a number. A `date` object (not a datetime) is range-checked.
    Raises RuleViolation INVALID_DATE or DATE_OUT_OF_RANGE."""
    if type(text) is str:
        day = _DAYS.get(text)
        if day is None:
            day = _DAYS[text] = _parse(text)
        return day
    return in_range(text) if type(text) is date else _parse(text)
