from datetime import date

from pydantic import BaseModel, Field

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
    rule: str = Field(examples=["threshold.suspend"], description="the rule of RULES.md that applied")


class BatchLine(BaseModel):
    ref: str | None = Field(default=None, max_length=64, description="echoed back; your claim line id")
    code: str = Field(max_length=32)
    date: str = Field(max_length=32, description="YYYY-MM-DD; a bad date fails this line only")
    emergency: bool = False

    model_config = {"json_schema_extra": {"examples": [
        {"ref": "L1", "code": "D110105000123", "date": "2026-03-01", "emergency": False}]}}


class LineError(BaseModel):
    code: str
    message: str


class BatchResult(BaseModel):
    ref: str | None
    code: str
    date: str
    eligible: bool | None = None
    status: Status | None = None
    reason: str | None = None
    until: date | None = None
    rule: str | None = None
    error: LineError | None = Field(default=None, description="set instead of an answer when the line is malformed")
