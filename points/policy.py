"""Dated, regional policy parameters and the violation catalogue (OpenFisca-style).

The policy file (TOML) holds rows `{region, effective_from, <some parameters>}`. The value of a parameter for
(region, day) is found by overlaying, from most general to most specific region (national, province, city,
county), every row already in force on that day, oldest first. So a region overrides only what it names,
and a new year's or region's values are a new row, not code.
"""
import tomllib
from bisect import bisect_right
from dataclasses import dataclass, field, fields, replace
from datetime import date
from functools import lru_cache

from points.codes import NATIONAL, region_chain
from points.errors import PolicyError, RuleViolation
from points.standing import Status

SANCTIONED = frozenset({Status.SUSPENDED, Status.BANNED, Status.TERMINATED})


@dataclass(frozen=True)
class Parameters:
    suspend_at: int = 9
    terminate_at: int = 12
    suspension_months_min: int = 1
    suspension_months_max: int = 6
    suspension_months_default: int = 1
    # Optional regional mapping "tally reached -> default months", e.g. {9: 1, 10: 2, 11: 3}.
    suspension_months_by_tally: dict[int, int] = field(default_factory=dict)
    ban_years_accumulated: int = 1
    ban_years_single_record: int = 3
    repair_points_per_activity: int = 1
    repair_cap_per_year: int = 0
    # A repair that brings the tally below `suspend_at` ends a running suspension of the same year (no source:
    # off unless a region provides it).
    repair_ends_suspension: bool = False
    talk_at: int = 0  # 0 = no talk notice (约谈) rung
    max_points_per_record: int = 12
    # The sanctioned states in which emergency and rescue care (急救、抢救) is still settled (郎溪县 press conference, 2025: suspension).
    emergency_exempt_states: frozenset[Status] = frozenset({Status.SUSPENDED})
    # Days after the person is notified of a record (the day it is recorded, China time) on which they may still
    # object to it; the last of them is the deadline (no source fixes it: docs/rules.md, R38).
    objection_days: int = 15
    # The day the deadline rule began: a record notified before it has its window counted from that day, so no
    # window open when the rule began closes at once (None: from the notification, always).
    objection_days_counted_from: date | None = None

    def default_months(self, tally: int) -> int:
        return self.suspension_months_by_tally.get(tally, self.suspension_months_default)

    def check_months(self, months: int) -> None:
        if not self.suspension_months_min <= months <= self.suspension_months_max:
            raise RuleViolation(
                f"suspension length must be {self.suspension_months_min}–{self.suspension_months_max} months, "
                f"got {months}",
                "MONTHS_OUT_OF_RANGE", low=self.suspension_months_min, high=self.suspension_months_max, months=months,
            )


PARAMETER_NAMES = frozenset(f.name for f in fields(Parameters))


@dataclass(frozen=True)
class Violation:
    """A violation type (记分情形): its band fixes the points range the decider chooses from.

    `basis` is the article the institution's decision rests on. `source` says where the type itself comes from
    (document, article and item, as cited; `source_en` in English), `source_fixes_band` whether that source
    puts the behaviour in its band (otherwise the project chose the band), and `public_source` is false for a
    type that no public document names (the "其他" types: the decider judges the band); such a type has no
    `source`. A type's wording or band changes by a new dated row of the same code, so a record keeps the type
    in force on its decision date."""

    code: str
    name_zh: str
    name_en: str
    band: str
    low: int
    high: int
    basis: str
    region: str = NATIONAL
    effective_from: date = date(2025, 1, 1)
    effective_to: date | None = None
    source: str = ""
    source_en: str = ""
    source_fixes_band: bool = False
    public_source: bool = True

    def in_force(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)

    def check_points(self, points: int) -> None:
        if not self.low <= points <= self.high:
            raise RuleViolation(
                f"violation {self.code} ({self.band}) carries {self.low}–{self.high} points, got {points}",
                "POINTS_OUTSIDE_BAND", violation=self.code, band=self.band, low=self.low, high=self.high, points=points,
            )


@dataclass(frozen=True)
class ParameterRow:
    region: str
    effective_from: date
    values: dict
    source: str = ""


class Policy:
    """The parsed policy file. Lookups are memoised: they sit on the eligibility path."""

    def __init__(self, version: str, rows: list[ParameterRow], violations: list[Violation],
                 person_prefixes: tuple[str, ...]):
        self.version = version
        self.rows = sorted(rows, key=lambda r: r.effective_from)
        self.violations = violations
        self.person_prefixes = person_prefixes
        self.parameters = lru_cache(maxsize=4096)(self._parameters)
        self._exempt_steps: dict[str, tuple[list[date], list[frozenset[Status]]]] = {}

    def _parameters(self, region: str, on: date) -> Parameters:
        params = Parameters()
        for level in region_chain(region):
            for row in self.rows:
                if row.region == level and row.effective_from <= on:
                    params = replace(params, **row.values)
        return params

    def emergency_exempt(self, region: str, on: date) -> frozenset[Status]:
        """`emergency_exempt_states` in `region` on `on`. On the settlement path: each region's value is kept as
        the days it changes (one small entry per region met), so a lookup is a bisection whatever the day."""
        steps = self._exempt_steps.get(region)
        if steps is None:
            steps = self._exempt_steps[region] = self._exempt_changes(region)
        return steps[1][bisect_right(steps[0], on) - 1]

    def _exempt_changes(self, region: str) -> tuple[list[date], list[frozenset[Status]]]:
        chain = region_chain(region)
        days = sorted({date.min} | {r.effective_from for r in self.rows if r.region in chain})
        return days, [self._parameters(region, day).emergency_exempt_states for day in days]

    def violation(self, code: str, region: str, on: date) -> Violation:
        """The most specific violation type of that code in force in `region` on `on`."""
        chain = region_chain(region)
        found = [v for v in self.violations if v.code == code and v.region in chain and v.in_force(on)]
        if not found:
            raise RuleViolation(f"no violation type {code!r} in force in {region} on {on}", "UNKNOWN_VIOLATION",
                                violation=code, region=region, day=on)
        return max(found, key=lambda v: (chain.index(v.region), v.effective_from))

    def catalogue(self, region: str, on: date) -> list[Violation]:
        codes = dict.fromkeys(v.code for v in self.violations)
        out = []
        for code in codes:
            try:
                out.append(self.violation(code, region, on))
            except RuleViolation:
                pass
        return out


def _parameter_row(raw: dict) -> ParameterRow:
    raw = dict(raw)
    region, since, source = raw.pop("region", NATIONAL), raw.pop("effective_from"), raw.pop("source", "")
    unknown = set(raw) - PARAMETER_NAMES
    if unknown:
        raise PolicyError(f"unknown parameters {sorted(unknown)} in row {region}@{since}")
    if "suspension_months_by_tally" in raw:
        raw["suspension_months_by_tally"] = {int(k): int(v) for k, v in raw["suspension_months_by_tally"].items()}
    if "emergency_exempt_states" in raw:
        raw["emergency_exempt_states"] = _exempt_states(raw["emergency_exempt_states"], f"{region}@{since}", source)
    return ParameterRow(str(region), since, raw, source)


def _exempt_states(names: list, row: str, source: str) -> frozenset[Status]:
    """Sanctioned states only; a row that goes beyond the national {suspended} must cite its source."""
    wrong = [n for n in names if n not in SANCTIONED]
    if wrong:
        raise PolicyError(f"emergency_exempt_states in row {row}: {wrong} are not among {sorted(SANCTIONED)}")
    states = frozenset(Status(n) for n in names)
    if states - {Status.SUSPENDED} and not source:
        raise PolicyError(f"row {row} extends emergency_exempt_states without citing its source")
    return states


def _checked_violation(v: Violation) -> Violation:
    """Every type cites its source, or says that no public document names it (and then cites none)."""
    where = f"violation {v.code}@{v.effective_from}"
    if v.public_source and not (v.source and v.source_en):
        raise PolicyError(f"{where}: cite its source (source and source_en) or set public_source = false")
    if not v.public_source and (v.source or v.source_en or v.source_fixes_band):
        raise PolicyError(f"{where}: a type without a public source cites none and cannot have its band fixed by one")
    return v


def parse_policy(text: str) -> Policy:
    """Parse the TOML policy text (pure: the caller reads the file)."""
    try:
        doc = tomllib.loads(text)
        bands = {name: tuple(lo_hi) for name, lo_hi in doc["bands"].items()}
        rows = [_parameter_row(r) for r in doc.get("parameters", [])]
        violations = []
        for v in doc.get("violations", []):
            band = v.pop("band")
            if band not in bands:
                raise PolicyError(f"violation {v.get('code')}: unknown band {band!r}")
            violations.append(_checked_violation(Violation(band=band, low=bands[band][0], high=bands[band][1], **v)))
        prefixes = tuple(doc.get("codes", {}).get("person_prefixes", ["D", "HY", "HJ"]))
        return Policy(str(doc.get("version", "")), rows, violations, prefixes)
    except (KeyError, TypeError, tomllib.TOMLDecodeError) as exc:
        raise PolicyError(f"policy file is malformed: {exc}") from exc
