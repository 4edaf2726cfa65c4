"""Eligibility answers for one or many (code, date, emergency) lines."""
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from api.eligibility.repository import load_standings
from points import Rule, Standing, Status, eligibility
from points.codes import parse_person_code
from points.errors import DomainError, RuleViolation

EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)
UNKNOWN = "UNKNOWN_PRACTITIONER"


@dataclass(frozen=True)
class Answer:
    code: str
    date: date
    eligible: bool
    status: Status
    reason: str
    until: date | None
    rule: str


def parse_day(text: str | date) -> date:
    try:
        day = text if isinstance(text, date) else date.fromisoformat(text)
    except (TypeError, ValueError) as exc:
        raise RuleViolation(f"{text!r} is not a date (YYYY-MM-DD)", "INVALID_DATE") from exc
    if not EARLIEST <= day <= LATEST:
        raise RuleViolation(f"{day} is outside {EARLIEST}..{LATEST}", "DATE_OUT_OF_RANGE")
    return day


def normalise_code(code: str, prefixes: tuple[str, ...]) -> str:
    return str(parse_person_code(code, prefixes))


def answer(standings: dict[str, Standing], code: str, day: date, emergency: bool) -> Answer:
    standing = standings.get(code)
    if standing is None:
        return Answer(code, day, False, Status.UNREGISTERED, UNKNOWN, None, Rule.REGISTRATION.value)
    e = eligibility(standing, day, emergency)
    return Answer(code, day, e.eligible, e.status, e.reason, e.until, e.rule.value)


def check_one(session: Session, code: str, day: date, emergency: bool, prefixes: tuple[str, ...]) -> Answer:
    code, day = normalise_code(code, prefixes), parse_day(day)
    return answer(load_standings(session, [code]), code, day, emergency)


def check_batch(session: Session, lines: Sequence, prefixes: tuple[str, ...]) -> list[dict]:
    """One result per line, same order; a malformed line gets an `error` and does not affect the others."""
    parsed: list[tuple[str, date] | DomainError] = []
    for line in lines:
        try:
            parsed.append((normalise_code(line.code, prefixes), parse_day(line.date)))
        except DomainError as exc:
            parsed.append(exc)
    standings = load_standings(session, [p[0] for p in parsed if isinstance(p, tuple)])
    out = []
    for line, p in zip(lines, parsed):
        if isinstance(p, DomainError):
            out.append({"ref": line.ref, "code": line.code, "date": line.date,
                        "error": {"code": p.code, "message": p.message}})
            continue
        a = answer(standings, p[0], p[1], line.emergency)
        out.append({"ref": line.ref, "code": a.code, "date": line.date, "eligible": a.eligible,
                    "status": a.status.value, "reason": a.reason, "until": a.until, "rule": a.rule})
    return out
