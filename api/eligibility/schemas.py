from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from api.dates import Day
from points import Status

MAX_BATCH = 100_000


class EligibilityPublic(BaseModel):
    code: str = Field(examples=["D110105000123"])
    date: date
    eligible: bool
    status: Status = Field(description="normal | suspended | banned | terminated | unregistered")
    reason: str = Field(examples=["SUSPENDED"], description="ELIGIBLE, SUSPENDED, TERMINATED, UNREGISTERED, "
                        "UNKNOWN_PRACTITIONER or EMERGENCY_EXEMPT")
    until: date | None = Field(description="last day of the current state, when it has a known end")
    rule: str = Field(examples=["threshold.suspend"], description="the id of the rule that applied")
    known_at: datetime | None = Field(default=None, description="echoed when asked: the answer is as the record "
                                      "stood at this instant (absent: as known now)")


class BatchLine(BaseModel):
    ref: str | None = Field(default=None, max_length=64, description="echoed back; your claim line id")
    code: str = Field(max_length=32)
    date: Day = Field(description="YYYY-MM-DD; a bad date fails this line only (and is echoed as sent)")
    emergency: bool = False
    known_at: str | None = Field(default=None, max_length=40, examples=["2026-03-01T10:00:00+08:00"],
                                 description="as the record stood at this instant (ISO 8601 with its offset); "
                                 "omitted: as known now")

    model_config = {"json_schema_extra": {"examples": [
        {"ref": "L1", "code": "D110105000123", "date": "2026-03-01", "emergency": False}]}}


class LineError(BaseModel):
    code: str
    message: str


class BatchResult(BaseModel):
    """The answer to a well-formed line."""
    ref: str | None
    code: str
    date: str
    eligible: bool
    status: Status
    reason: str
    until: date | None
    rule: str
    known_at: datetime | None = Field(default=None, description="echoed when the line asked for it")


class BatchLineError(BaseModel):
    """A malformed line: its error instead of an answer, and its fields echoed as sent (an ID number masked)."""
    ref: Any = Field(default=None, description="as sent: any JSON value, null when absent")
    code: Any = Field(default=None, description="as sent: any JSON value, null when absent")
    date: Any = Field(default=None, description="as sent: any JSON value, null when absent")
    error: LineError
