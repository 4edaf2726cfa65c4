"""Derive a person's timeline (tallies, suspensions, termination, ban) from their ledger: a pure function.

Every input is sorted by its own date and id first, so the order in which entries were made never changes
the result. Reviews apply from the reviewed record's own date: an annulled record never counted.
"""
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date
from functools import cached_property

from points.dates import ONE_DAY, add_years, period_after
from points.ledger import Ledger, PointRecord, RepairCredit, ReviewOutcome
from points.policy import Policy
from points.standing import Standing, StatusAt


@dataclass(frozen=True)
class Suspension:
    year: int
    ordinal: int            # n-th suspension of that points year (the key of the decider's choice)
    decided_on: date        # decision date of the record that reached the threshold
    trigger_record: int
    tally: int
    months: int
    months_decided: bool    # False: the default length applies until the decider chooses
    starts_on: date
    ends_on: date           # last suspended day; before starts_on when lifted the day it was decided
    cut_short_by: str | None = None  # "termination" or "repair"

    def covers(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


@dataclass(frozen=True)
class Termination:
    year: int
    decided_on: date
    trigger_record: int
    single_record: bool     # one record carried 12 points (一次性记满12分)
    starts_on: date
    ban_years: int
    ban_ends_on: date       # last day re-registration is barred

    @property
    def may_register_from(self) -> date:
        return self.ban_ends_on + ONE_DAY


@dataclass(frozen=True)
class Notice:
    kind: str               # "talk": institution must hold a talk (约谈), person under key supervision
    year: int
    on: date
    tally: int


@dataclass(frozen=True)
class YearTally:
    year: int
    recorded: int           # effective points of the year's records
    repaired: int           # points removed by repair credits
    repair_cap: int

    @property
    def net(self) -> int:
        return self.recorded - self.repaired

    @property
    def repair_left(self) -> int:
        return max(0, self.repair_cap - self.repaired)


@dataclass(frozen=True)
class Timeline:
    person: str
    points: dict[int, int]               # record id -> effective points (0 = annulled)
    years: dict[int, YearTally]
    suspensions: tuple[Suspension, ...]
    terminations: tuple[Termination, ...]
    notices: tuple[Notice, ...]
    registrations: tuple                 # ledger.Registration, sorted

    def tally(self, year: int) -> int:
        return self.years[year].net if year in self.years else 0

    @cached_property
    def standing(self) -> Standing:
        return Standing.of(((s.starts_on, s.ends_on) for s in self.suspensions),
                           ((t.decided_on, t.ban_ends_on) for t in self.terminations),
                           ((r.starts_on, r.ends_on) for r in self.registrations))

    def status_on(self, day: date) -> StatusAt:
        return self.standing.status_on(day)


def effective_points(ledger: Ledger) -> dict[int, int]:
    """Record id -> points after reviews (last change or annulment by decision date wins)."""
    points = {r.id: r.points for r in ledger.records}
    for review in sorted(ledger.reviews, key=lambda v: (v.decided_on, v.id)):
        if review.record_id not in points:
            continue
        if review.outcome is ReviewOutcome.ANNUL:
            points[review.record_id] = 0
        elif review.outcome is ReviewOutcome.CHANGE and review.points is not None:
            points[review.record_id] = review.points
    return points


def _cut(suspension: Suspension, last_day: date, by: str) -> Suspension:
    if suspension.ends_on <= last_day:
        return suspension
    return replace(suspension, ends_on=last_day, cut_short_by=by)


def derive(ledger: Ledger, policy: Policy) -> Timeline:
    points = effective_points(ledger)
    registrations = tuple(sorted(ledger.registrations, key=lambda r: (r.starts_on, r.id)))
    decisions = {}
    for d in sorted(ledger.decisions, key=lambda d: (d.decided_on, d.months)):
        decisions[(d.year, d.ordinal)] = d
    events: list[tuple[date, int, int, PointRecord | RepairCredit]] = sorted(
        [(r.decision_date, 0, r.id, r) for r in ledger.records]
        + [(c.activity_date, 1, c.id, c) for c in ledger.repairs],
        key=lambda e: e[:3],
    )
    recorded: dict[int, int] = defaultdict(int)
    repaired: dict[int, int] = defaultdict(int)
    caps: dict[int, int] = {}
    suspensions: list[Suspension] = []
    terminations: list[Termination] = []
    notices: list[Notice] = []

    for day, kind, _, item in events:
        year = day.year
        params = policy.parameters(ledger.region, day)
        caps[year] = params.repair_cap_per_year
        before = recorded[year] - repaired[year]
        # After a termination nothing more is sanctioned until a new registration.
        terminated = bool(terminations) and not any(
            terminations[-1].decided_on < r.starts_on <= day for r in registrations
        )
        if kind == 0:
            gained = points[item.id]
            if gained <= 0:
                continue
            recorded[year] += gained
            after = before + gained
            if terminated:
                continue
            if params.talk_at and before < params.talk_at <= after:
                notices.append(Notice("talk", year, day, after))
            if before < params.terminate_at <= after:
                single = gained >= params.terminate_at
                years = params.ban_years_single_record if single else params.ban_years_accumulated
                terminations.append(
                    Termination(year, day, item.id, single, day + ONE_DAY, years, add_years(day, years))
                )
                suspensions = [_cut(s, day, "termination") for s in suspensions]
            elif before < params.suspend_at <= after:
                ordinal = 1 + sum(1 for s in suspensions if s.year == year)
                decision = decisions.get((year, ordinal))
                months = decision.months if decision else params.default_months(after)
                first, last = period_after(day, months)
                suspensions.append(
                    Suspension(year, ordinal, day, item.id, after, months, decision is not None, first, last)
                )
        else:
            params = policy.parameters(item.region or ledger.region, day)
            caps[year] = max(caps[year], params.repair_cap_per_year)
            taken = min(params.repair_points_per_activity, params.repair_cap_per_year - repaired[year], before)
            if taken <= 0:
                continue
            repaired[year] += taken
            after = before - taken
            if params.repair_ends_suspension and not terminated and after < params.suspend_at <= before:
                suspensions = [_cut(s, day, "repair") if s.year == year else s for s in suspensions]

    years = {y: YearTally(y, recorded[y], repaired[y], caps[y]) for y in sorted(caps)}
    return Timeline(
        ledger.person, points, years, tuple(suspensions), tuple(terminations), tuple(notices), registrations
    )
