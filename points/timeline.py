"""Derive a person's timeline (tallies, suspensions, terminations, notices) from their ledger: a pure function.

The walk goes day by day; every input is sorted by its own date and id first, so the order in which entries
were made never changes the result. The rules it applies (docs/rules.md):
- Reviews apply from the reviewed record's own date: an annulled record never counted.
- A day's records are applied together: a threshold is crossed by the day's closing total, and a default
  length follows that total. The trigger of the sanction is the record at which the day's records, taken in
  the order they were recorded (id), reach the threshold; for a termination by one record of 12 points
  (一次性记满12分), that record.
- A day's repairs come after its records; each removes points already recorded in its year (capped per year).
- While terminated (from a termination to the next registration) points are recorded but trigger nothing,
  except one record of 12, which bars re-registration 3 years from its own decision when that ends later.
  After a re-registration only points decided from its first day count toward the thresholds.
- Suspensions never overlap: one triggered while another runs starts the day after that one ends.
"""
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date
from functools import cached_property

from points.dates import ONE_DAY, add_years, period_after
from points.ledger import Ledger, PointRecord, RepairCredit, ReviewOutcome, SuspensionDecision
from points.policy import Parameters, Policy
from points.standing import Standing, StatusAt


@dataclass(frozen=True)
class Suspension:
    year: int
    ordinal: int            # n-th suspension of that points year (for display; decisions name the trigger)
    decided_on: date        # decision date of the day whose records reached the threshold
    trigger_record: int     # the record that reached it: what a length decision names
    tally: int              # the day's closing total
    months: int
    months_decided: bool    # False: the default length applies until the decider chooses
    starts_on: date
    ends_on: date           # last suspended day; before starts_on when lifted before it began
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


def latest_decisions(decisions: tuple[SuspensionDecision, ...]) -> dict[int, SuspensionDecision]:
    """Trigger record id -> the decision recorded last (highest id), whatever its `decided_on`."""
    return {d.trigger_record: d for d in sorted(decisions, key=lambda d: d.id)}


def _cut(suspension: Suspension, last_day: date, by: str) -> Suspension:
    if suspension.ends_on <= last_day:
        return suspension
    return replace(suspension, ends_on=last_day, cut_short_by=by)


def _reaching(before: int, day_records: list[tuple[PointRecord, int]], threshold: int) -> PointRecord:
    """The record at which the day's records, in id order, bring the tally from `before` to `threshold`."""
    total = before
    for record, gained in day_records:
        total += gained
        if total >= threshold:
            return record
    raise ValueError("the day's records do not reach the threshold")


class _Walk:
    """The derivation's running state, one day at a time."""

    def __init__(self, ledger: Ledger, policy: Policy, points: dict[int, int], registrations: tuple):
        self.region, self.policy, self.points, self.registrations = ledger.region, policy, points, registrations
        self.decisions = latest_decisions(ledger.decisions)
        self.recorded: dict[int, int] = defaultdict(int)
        self.repaired: dict[int, int] = defaultdict(int)
        self.counted: dict[int, int] = defaultdict(int)  # the tally thresholds see (net of repairs)
        self.caps: dict[int, int] = {}
        self.suspensions: list[Suspension] = []
        self.terminations: list[Termination] = []
        self.notices: list[Notice] = []
        self.was_terminated = False

    def terminated_on(self, day: date) -> bool:
        """From a termination to the next registration. Leaving that state (re-registration) starts the count
        again: only points decided from then on count toward the thresholds."""
        last = self.terminations[-1].decided_on if self.terminations else None
        terminated = last is not None and not any(last < r.starts_on <= day for r in self.registrations)
        if self.was_terminated and not terminated:
            self.counted.clear()
        self.was_terminated = terminated
        return terminated

    def records(self, day: date, records: list[PointRecord]) -> None:
        year, params = day.year, self.policy.parameters(self.region, day)
        self.caps[year] = max(self.caps.get(year, 0), params.repair_cap_per_year)
        counted = [(r, self.points[r.id]) for r in records if self.points[r.id] > 0]
        gained = sum(p for _, p in counted)
        self.recorded[year] += gained
        if not counted:
            return
        one_record = next((r for r, p in counted if p >= params.terminate_at), None)
        if self.terminated_on(day):
            if one_record:
                self.bar_again(day, one_record, params)
            return
        before = self.counted[year]
        after = self.counted[year] = before + gained
        if params.talk_at and before < params.talk_at <= after:
            self.notices.append(Notice("talk", year, day, after))
        if before < params.terminate_at <= after:
            self.terminate(day, one_record or _reaching(before, counted, params.terminate_at), one_record is not None,
                           params)
        elif before < params.suspend_at <= after:
            self.suspend(day, _reaching(before, counted, params.suspend_at), after, params)

    def suspend(self, day: date, trigger: PointRecord, tally: int, params: Parameters) -> None:
        decision = self.decisions.get(trigger.id)
        months = decision.months if decision else params.default_months(tally)
        running_until = max((s.ends_on for s in self.suspensions if s.ends_on >= s.starts_on), default=day)
        first, last = period_after(max(day, running_until), months)  # never overlapping a running one
        ordinal = 1 + sum(1 for s in self.suspensions if s.year == day.year)
        self.suspensions.append(Suspension(day.year, ordinal, day, trigger.id, tally, months, decision is not None,
                                           first, last))

    def terminate(self, day: date, trigger: PointRecord, single: bool, params: Parameters) -> None:
        years = params.ban_years_single_record if single else params.ban_years_accumulated
        self.terminations.append(Termination(day.year, day, trigger.id, single, day + ONE_DAY, years,
                                             add_years(day, years)))
        self.suspensions = [_cut(s, day, "termination") for s in self.suspensions]
        self.was_terminated = True

    def bar_again(self, day: date, record: PointRecord, params: Parameters) -> None:
        """One record of 12 while terminated bars re-registration from its own decision; the later end wins."""
        years = params.ban_years_single_record
        if add_years(day, years) > self.terminations[-1].ban_ends_on:
            self.terminate(day, record, True, params)

    def repair(self, day: date, credit: RepairCredit) -> None:
        year = day.year
        params = self.policy.parameters(credit.region or self.region, day)  # the granting region's rules
        self.caps[year] = max(self.caps.get(year, 0), params.repair_cap_per_year)
        terminated = self.terminated_on(day)
        net = self.recorded[year] - self.repaired[year]
        taken = min(params.repair_points_per_activity, params.repair_cap_per_year - self.repaired[year], net)
        if taken <= 0:
            return
        self.repaired[year] += taken
        before = self.counted[year]
        after = self.counted[year] = max(0, before - taken)
        if params.repair_ends_suspension and not terminated and after < params.suspend_at <= before:
            self.suspensions = [_cut(s, day, "repair") if s.year == year else s for s in self.suspensions]

    def timeline(self, person: str) -> Timeline:
        years = {y: YearTally(y, self.recorded[y], self.repaired[y], self.caps[y]) for y in sorted(self.caps)}
        return Timeline(person, self.points, years, tuple(self.suspensions), tuple(self.terminations),
                        tuple(self.notices), self.registrations)


def derive(ledger: Ledger, policy: Policy) -> Timeline:
    points = effective_points(ledger)
    registrations = tuple(sorted(ledger.registrations, key=lambda r: (r.starts_on, r.id)))
    walk = _Walk(ledger, policy, points, registrations)
    records: dict[date, list[PointRecord]] = defaultdict(list)
    repairs: dict[date, list[RepairCredit]] = defaultdict(list)
    for r in ledger.records:
        records[r.decision_date].append(r)
    for c in ledger.repairs:
        repairs[c.activity_date].append(c)
    for day in sorted(records.keys() | repairs.keys()):
        walk.records(day, sorted(records[day], key=lambda r: r.id))
        for credit in sorted(repairs[day], key=lambda c: c.id):
            walk.repair(day, credit)
    return walk.timeline(ledger.person)
