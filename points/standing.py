"""A person's standing: just the dated facts that decide their status on a day. It is what a timeline
reduces to, what the sanction table stores, and what a settlement check needs; nothing else."""
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from points.dates import ONE_DAY
from points.rules import Rule


class Status(StrEnum):
    NORMAL = "normal"            # 正常
    SUSPENDED = "suspended"      # 暂停
    BANNED = "banned"            # 终止, and re-registration still barred (until = last day of the ban)
    TERMINATED = "terminated"    # 终止, ban over, not registered again yet
    UNREGISTERED = "unregistered"


@dataclass(frozen=True)
class StatusAt:
    status: Status
    rule: Rule
    until: date | None = None   # last day of this state, when it has a known end


@dataclass(frozen=True)
class Standing:
    suspensions: tuple[tuple[date, date], ...] = ()          # (first day, last day); empty when last < first
    terminations: tuple[tuple[date, date], ...] = ()         # (decision date, last day of the ban)
    registrations: tuple[tuple[date, date | None], ...] = ()  # (first day, last day or None)

    @classmethod
    def of(cls, suspensions, terminations, registrations) -> "Standing":
        """The canonical (sorted) form, so equal facts make equal standings whatever their source order."""
        return cls(tuple(sorted(suspensions)), tuple(sorted(terminations)),
                   tuple(sorted(registrations, key=lambda r: (r[0], r[1] or r[0]))))

    def termination_on(self, day: date) -> tuple[date, date] | None:
        """The termination in force on `day`: started (the day after its decision), no registration since."""
        started = [t for t in self.terminations if t[0] < day]
        if not started:
            return None
        decided = max(started)
        if any(decided[0] < first <= day for first, _ in self.registrations):
            return None
        return decided

    def registered_on(self, day: date) -> bool:
        started = [decided for decided, _ in self.terminations if decided < day]
        after = max(started) if started else date.min
        return any(after < first <= day and (last is None or day <= last) for first, last in self.registrations)

    def suspended_until(self, day: date) -> date | None:
        """Last day of the run of suspensions covering `day` (they may chain or overlap), else None."""
        until = None
        for first, last in sorted(self.suspensions):
            if last < first:
                continue
            if until is None and first <= day <= last:
                until = last
            elif until is not None and first <= until + ONE_DAY:
                until = max(until, last)
        return until

    def status_on(self, day: date) -> StatusAt:
        termination = self.termination_on(day)
        if termination:
            ban_ends_on = termination[1]
            if day <= ban_ends_on:
                return StatusAt(Status.BANNED, Rule.BAN, ban_ends_on)
            return StatusAt(Status.TERMINATED, Rule.TERMINATE)
        if not self.registered_on(day):
            return StatusAt(Status.UNREGISTERED, Rule.REGISTRATION)
        until = self.suspended_until(day)
        if until:
            return StatusAt(Status.SUSPENDED, Rule.SUSPEND, until)
        return StatusAt(Status.NORMAL, Rule.NORMAL)
