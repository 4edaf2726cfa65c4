"""The append-only ledger of one person, as plain values. Status is derived from it, never stored by hand."""
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum


class Responsibility(StrEnum):
    GENERAL = "general"      # 一般责任
    IMPORTANT = "important"  # 重要责任
    MAIN = "main"            # 主要责任


class ReviewOutcome(StrEnum):
    CONFIRM = "confirm"  # 维持
    CHANGE = "change"    # 变更记分
    ANNUL = "annul"      # 撤销


@dataclass(frozen=True)
class PointRecord:
    id: int
    violation: str
    points: int
    decision_date: date  # 记分时点: the date of the penalty or agreement decision, China time
    case_number: str = ""
    authority: str = ""
    institution: str = ""
    responsibility: Responsibility = Responsibility.MAIN
    recorded_at: datetime | None = None  # the instant it was recorded (None: known from the start)


@dataclass(frozen=True)
class Review:
    """Outcome of an objection/appeal review. A change or annulment applies from the record's own date."""

    id: int
    record_id: int
    outcome: ReviewOutcome
    decided_on: date
    points: int | None = None
    recorded_at: datetime | None = None


@dataclass(frozen=True)
class RepairCredit:
    """One valid participation in publicity, training or inspection work (记分修复)."""

    id: int
    activity_date: date
    activity: str = ""
    region: str = ""  # the granting authority's region, whose rules apply (default: the person's)
    recorded_at: datetime | None = None


@dataclass(frozen=True)
class SuspensionDecision:
    """The decider's choice of length for the suspension triggered by record `trigger_record` (the record whose
    points crossed the threshold). The latest recorded (highest id) wins: a later decision corrects."""

    id: int
    trigger_record: int
    months: int
    decided_on: date
    recorded_at: datetime | None = None


@dataclass(frozen=True)
class Registration:
    """A registration (登记备案) at one institution; a person may hold several (多点执业)."""

    id: int
    institution: str
    starts_on: date
    ends_on: date | None = None
    recorded_at: datetime | None = None
    end_recorded_at: datetime | None = None  # when ends_on was recorded (注销 / 变更)


@dataclass(frozen=True)
class Ledger:
    person: str
    region: str
    records: tuple[PointRecord, ...] = ()
    reviews: tuple[Review, ...] = ()
    repairs: tuple[RepairCredit, ...] = ()
    decisions: tuple[SuspensionDecision, ...] = ()
    registrations: tuple[Registration, ...] = field(default=())
