"""Dates as sent: only YYYY-MM-DD naming a real day in 2000-01-01..2099-12-31 (issue 12, strict dates)."""
from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from points.dates import FIRST_DAY, LAST_DAY, parse_day
from points.errors import RuleViolation


def refusal(value) -> tuple[str, str]:
    with pytest.raises(RuleViolation) as caught:
        parse_day(value)
    return caught.value.code, caught.value.message


@pytest.mark.parametrize("text,day", [("2025-04-20", date(2025, 4, 20)), ("2024-02-29", date(2024, 2, 29)),
                                      ("2000-01-01", FIRST_DAY), ("2099-12-31", LAST_DAY)])
def test_a_real_day_in_the_range_is_taken(text, day):
    assert parse_day(text) == day


@pytest.mark.parametrize("value,message", [
    ("20250420", "'20250420' is not a date (YYYY-MM-DD)"),                        # observed: taken before
    ("2025-W17-1", "'2025-W17-1' is not a date (YYYY-MM-DD)"),                    # observed: ISO week date
    ("2025-05-05T00:00:00", "'2025-05-05T00:00:00' is not a date (YYYY-MM-DD)"),  # observed: a midnight instant
    (1746403200, "1746403200 is not a date (YYYY-MM-DD)"),                        # observed: a Unix time
    ("2025-02-29", "'2025-02-29' is not a date (YYYY-MM-DD)"),
    ("2025-4-20", "'2025-4-20' is not a date (YYYY-MM-DD)"),
    (" 2025-04-2", "' 2025-04-2' is not a date (YYYY-MM-DD)"),
    ("2025-+4-20", "'2025-+4-20' is not a date (YYYY-MM-DD)"),
    ("２０２５-04-20", "'２０２５-04-20' is not a date (YYYY-MM-DD)"),              # full-width digits
    ("", "'' is not a date (YYYY-MM-DD)"),
    (None, "null is not a date (YYYY-MM-DD)"),
    (True, "a boolean is not a date (YYYY-MM-DD)"),
    ([2025, 4, 20], "an array is not a date (YYYY-MM-DD)"),
    (datetime(2025, 5, 5), "a datetime is not a date (YYYY-MM-DD)"),
    ("9" * 100, f"'{'9' * 40}…' is not a date (YYYY-MM-DD)"),
])
def test_anything_else_is_not_a_date(value, message):
    assert refusal(value) == ("INVALID_DATE", message)


@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31", "1999-12-31", "2100-01-01", date(1999, 12, 31)])
def test_a_day_outside_the_range_is_refused_as_such(value):
    code, message = refusal(value)
    assert code == "DATE_OUT_OF_RANGE" and message.endswith("is outside 2000-01-01..2099-12-31")


@given(st.dates(FIRST_DAY, LAST_DAY))
def test_every_day_of_the_range_round_trips(day):
    assert parse_day(day.isoformat()) == day and parse_day(day) == day


@given(st.one_of(st.text(max_size=12), st.from_regex(r"\A[0-9+\- WT:]{8,12}\Z")))
def test_only_the_canonical_spelling_is_ever_taken(text):
    try:
        day = parse_day(text)
    except RuleViolation as exc:
        assert exc.code in ("INVALID_DATE", "DATE_OUT_OF_RANGE")
    else:
        assert day.isoformat() == text

