"""`known_at`: the instant an eligibility question is asked "as the record stood at". Only an ISO 8601 instant
with its offset is taken (2026-03-01T10:00:00+08:00, …Z): a time without one names no instant."""
import re
from datetime import datetime

from points.dates import FIRST_DAY, LAST_DAY
from points.errors import RuleViolation

_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})")
_NAIVE = re.compile(r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?")
EXAMPLE = "2026-03-01T10:00:00+08:00"


def _refuse(why: str) -> RuleViolation:
    return RuleViolation(f"known_at {why}; send an instant with its offset, e.g. {EXAMPLE}", "INVALID_KNOWN_AT")


def parse_known_at(text) -> datetime:
    """An aware datetime in FIRST_DAY..LAST_DAY, or RuleViolation INVALID_KNOWN_AT (422)."""
    if type(text) is not str or len(text) > 40:
        raise _refuse("must be a string of at most 40 characters")
    if not _INSTANT.fullmatch(text):
        if _NAIVE.fullmatch(text):
            raise _refuse(f"{text!r} has no UTC offset")
        if re.fullmatch(r".+T[\d:.]+ \d{2}:\d{2}", text):
            raise _refuse(f"{text!r} has a space before its offset (in a URL, write + as %2B)")
        raise _refuse(f"{text[:40]!r} is not an ISO 8601 instant")
    try:
        at = datetime.fromisoformat(text)
    except ValueError:  # 2026-02-30T…, 25:00, +24:00
        raise _refuse(f"{text!r} is not a real instant") from None
    if not FIRST_DAY <= at.date() <= LAST_DAY:
        raise _refuse(f"{text!r} is outside {FIRST_DAY}..{LAST_DAY}")
    return at


def query_known_at(text: str) -> datetime:
    """The query parameter; its error names it in `details`, as a bad `date` does."""
    try:
        return parse_known_at(text)
    except RuleViolation as exc:
        exc.details = [{"loc": ["query", "known_at"], "message": exc.message}]
        raise
