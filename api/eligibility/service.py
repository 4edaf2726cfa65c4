"""Eligibility answers for one or many (code, date, emergency) lines, from the in-memory snapshot when this
process has one, else from the database (bulk IN over the sanction and registration rows)."""
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from api.eligibility.repository import load_standings
from points import Rule, Standing, Status, eligibility
from points.codes import parse_person_code
from points.errors import DomainError, RuleViolation
from points.privacy import mask_if_text

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

    def as_dict(self, day_text: str | None = None) -> dict:
        return {"code": self.code, "date": day_text or self.date.isoformat(), "eligible": self.eligible,
                "status": self.status.value, "reason": self.reason,
                "until": self.until.isoformat() if self.until else None, "rule": self.rule}


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


UNKNOWN_VERDICT = (False, Status.UNREGISTERED, UNKNOWN, None, Rule.REGISTRATION.value)


def standing_verdict(standing: Standing | None, day: date, emergency: bool) -> tuple:
    """(eligible, status, reason, until, rule): an Answer's fields after code and date. None: unknown person."""
    if standing is None:
        return UNKNOWN_VERDICT
    e = eligibility(standing, day, emergency)
    return e.eligible, e.status, e.reason, e.until, e.rule.value


def db_verdict(standings: dict[str, Standing]) -> Callable[[str, date, bool], tuple]:
    return lambda code, day, emergency: standing_verdict(standings.get(code), day, emergency)


def check_one_in_db(session: Session, code: str, day: date, emergency: bool) -> Answer:
    return Answer(code, day, *db_verdict(load_standings(session, [code]))(code, day, emergency))


class LineParser:
    """Validates batch lines one by one, caching what repeats (codes, dates). A bad line yields an error
    for that line only."""

    def __init__(self, prefixes: tuple[str, ...], known: Callable[[str], bool] = lambda code: False):
        self.prefixes, self.known, self.codes, self.days = prefixes, known, {}, {}

    def code(self, raw) -> str:
        if type(raw) is not str or len(raw) > 32:
            raise RuleViolation("code must be a string of at most 32 characters", "INVALID_CODE")
        if self.known(raw):
            return raw
        found = self.codes.get(raw)
        if found is None:
            try:
                found = normalise_code(raw, self.prefixes)
            except DomainError as exc:
                found = exc
            self.codes[raw] = found
        if isinstance(found, DomainError):
            raise found
        return found

    def day(self, raw) -> date:
        found = self.days.get(raw) if type(raw) is str else None
        if found is None:
            if type(raw) is not str:
                raise RuleViolation("date must be a string YYYY-MM-DD", "INVALID_DATE")
            found = parse_day(raw)
            self.days[raw] = found
        return found

    def parse(self, line) -> tuple:
        """(ref, code, day, emergency, date text) or raises DomainError."""
        if type(line) is not dict:
            raise RuleViolation("each line is an object {ref, code, date, emergency}", "INVALID_LINE")
        ref, emergency = line.get("ref"), line.get("emergency", False)
        if ref is not None and (type(ref) is not str or len(ref) > 64):
            raise RuleViolation("ref must be a string of at most 64 characters", "INVALID_LINE")
        if type(emergency) is not bool:
            raise RuleViolation("emergency must be true or false", "INVALID_LINE")
        return ref, self.code(line.get("code")), self.day(line.get("date")), emergency, line["date"]


def answer_lines(lines: Sequence, parser: LineParser, verdict_for: Callable[[set[str]], Callable]) -> list[dict]:
    """One result per line, same order. `verdict_for(codes)` gives the verdict function for those codes."""
    parsed = []
    for line in lines:
        try:
            parsed.append(parser.parse(line))
        except DomainError as exc:
            parsed.append(exc)
    verdict = verdict_for({p[1] for p in parsed if type(p) is tuple})
    out = []
    for line, p in zip(lines, parsed):
        if type(p) is not tuple:
            echo = line if type(line) is dict else {}  # what the caller sent, with ID numbers masked
            out.append({"ref": mask_if_text(echo.get("ref")), "code": mask_if_text(echo.get("code")),
                        "date": mask_if_text(echo.get("date")), "error": {"code": p.code, "message": p.message}})
            continue
        ref, code, day, emergency, day_text = p
        eligible, status, reason, until, rule = verdict(code, day, emergency)
        out.append({"ref": mask_if_text(ref), "code": code, "date": day_text, "eligible": eligible, "status": status,
                    "reason": reason, "until": until, "rule": rule})
    return out
