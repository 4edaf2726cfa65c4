"""Eligibility answers for one or many (code, date, emergency) lines, from the in-memory snapshot when this
process has one, else from the database (bulk IN over the sanction and registration rows)."""
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session

from api.eligibility.known_at import parse_known_at
from api.eligibility.repository import load_standings
from points import Ledger, Policy, Rule, Standing, Status, Timeline, as_known_at, derive, eligibility
from points.codes import parse_person_code, person_region
from points.dates import parse_day
from points.errors import DomainError, RuleViolation
from points.privacy import mask_if_text

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


def normalise_code(code: str, prefixes: tuple[str, ...]) -> str:
    return str(parse_person_code(code, prefixes))


UNKNOWN_VERDICT = (False, Status.UNREGISTERED, UNKNOWN, None, Rule.REGISTRATION.value)


def standing_verdict(standing: Standing | Timeline | None, code: str, day: date, emergency: bool,
                     policy: Policy) -> tuple:
    """(eligible, status, reason, until, rule): an Answer's fields after code and date. None: unknown person.
    Emergency care is exempt in the states the person's region (from the code) exempts on that day."""
    if standing is None:
        return UNKNOWN_VERDICT
    exempt = policy.emergency_exempt(person_region(code), day) if emergency else ()
    e = eligibility(standing, day, emergency, exempt)
    return e.eligible, e.status, e.reason, e.until, e.rule.value


def db_verdict(standings: dict[str, Standing], policy: Policy) -> Callable[[str, date, bool], tuple]:
    return lambda code, day, emergency: standing_verdict(standings.get(code), code, day, emergency, policy)


def check_one_in_db(session: Session, code: str, day: date, emergency: bool, policy: Policy) -> Answer:
    return Answer(code, day, *db_verdict(load_standings(session, [code]), policy)(code, day, emergency))


def known_at_verdict(ledgers: dict[str, Ledger], policy: Policy) -> Callable[[str, date, bool, datetime], tuple]:
    """Verdicts "as the record stood at" an instant: derived from the ledger entries recorded by then (one
    derivation per person and instant)."""
    timelines: dict[tuple[str, datetime], Standing] = {}

    def verdict(code: str, day: date, emergency: bool, at: datetime) -> tuple:
        ledger = ledgers.get(code)
        if ledger is None:
            return UNKNOWN_VERDICT
        standing = timelines.get((code, at))
        if standing is None:
            standing = timelines[(code, at)] = derive(as_known_at(ledger, at), policy).standing
        return standing_verdict(standing, code, day, emergency, policy)

    return verdict


class LineParser:
    """Validates batch lines one by one, caching what repeats (codes; dates are cached by parse_day). A bad line
    yields an error for that line only."""

    def __init__(self, prefixes: tuple[str, ...], known: Callable[[str], bool] = lambda code: False):
        self.prefixes, self.known, self.codes = prefixes, known, {}

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
        return parse_day(raw)  # cached there

    def parse(self, line) -> tuple:
        """(ref, code, day, emergency, date text, known_at or None) or raises DomainError."""
        if type(line) is not dict:
            raise RuleViolation("each line is an object {ref, code, date, emergency}", "INVALID_LINE")
        ref, emergency = line.get("ref"), line.get("emergency", False)
        if ref is not None and (type(ref) is not str or len(ref) > 64):
            raise RuleViolation("ref must be a string of at most 64 characters", "INVALID_LINE")
        if type(emergency) is not bool:
            raise RuleViolation("emergency must be true or false", "INVALID_LINE")
        code, day = self.code(line.get("code")), self.day(line.get("date"))
        return ref, code, day, emergency, line["date"], self.known_at(line)

    @staticmethod
    def known_at(line: dict) -> datetime | None:
        raw = line.get("known_at")
        return None if raw is None else parse_known_at(raw)


def answer_lines(lines: Sequence, parser: LineParser, verdict_for: Callable[[set[str]], Callable],
                 known_at_for: Callable[[set[str]], Callable]) -> list[dict]:
    """One result per line, same order. `verdict_for(codes)` gives the verdict function for those codes;
    `known_at_for(codes)` the one for lines asked as known at an instant (`known_at_verdict`)."""
    parsed = []
    for line in lines:
        try:
            parsed.append(parser.parse(line))
        except DomainError as exc:
            parsed.append(exc)
    verdict = verdict_for({p[1] for p in parsed if type(p) is tuple and p[5] is None})
    past = {p[1] for p in parsed if type(p) is tuple and p[5] is not None}
    verdict_then = known_at_for(past) if past else None
    out = []
    for line, p in zip(lines, parsed):
        if type(p) is not tuple:
            echo = line if type(line) is dict else {}  # what the caller sent, with ID numbers masked
            out.append({"ref": mask_if_text(echo.get("ref")), "code": mask_if_text(echo.get("code")),
                        "date": mask_if_text(echo.get("date")), "error": {"code": p.code, "message": p.message}})
            continue
        ref, code, day, emergency, day_text, at = p
        eligible, status, reason, until, rule = verdict(code, day, emergency) if at is None else verdict_then(
            code, day, emergency, at)
        out.append({"ref": mask_if_text(ref), "code": code, "date": day_text, "eligible": eligible, "status": status,
                    "reason": reason, "until": until, "rule": rule})
        if at is not None:
            out[-1]["known_at"] = at.isoformat()
    return out
