"""`Day`: the one type of every date the API takes (bodies, forms, CSV import), parsed by points.dates.parse_day.

A bad date is a validation error of type INVALID_DATE or DATE_OUT_OF_RANGE; when every error of a request is
one of these, the answer carries that code (api/main.py), as the eligibility query and batch lines do."""
from datetime import date
from typing import Annotated

from pydantic import BeforeValidator, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from points.dates import FIRST_DAY, LAST_DAY, parse_day
from points.errors import RuleViolation

DATE_ERRORS = ("INVALID_DATE", "DATE_OUT_OF_RANGE")
SCHEMA = {"type": "string", "format": "date", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
          "description": f"YYYY-MM-DD, {FIRST_DAY}..{LAST_DAY}", "examples": ["2026-03-01"]}


def _day(value) -> date:
    try:
        return parse_day(value)
    except RuleViolation as exc:
        raise PydanticCustomError(exc.code, "{message}", {"message": exc.message}) from None


Day = Annotated[date, BeforeValidator(_day), WithJsonSchema(SCHEMA)]
Year = Annotated[int, Field(ge=FIRST_DAY.year, le=LAST_DAY.year)]


def date_error(errors: list[dict]) -> tuple[str, str] | None:
    """(code, message) of the first error when every Pydantic error is a bad date; else None."""
    if errors and all(e["type"] in DATE_ERRORS for e in errors):
        return errors[0]["type"], errors[0]["msg"]
    return None


def query_day(text: str, name: str = "date") -> date:
    """A date query parameter; its error names the parameter in `details`, as a body field's would."""
    try:
        return parse_day(text)
    except RuleViolation as exc:
        exc.details = [{"loc": ["query", name], "message": exc.message}]
        raise
