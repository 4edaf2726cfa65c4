"""An in-memory copy of everyone's standing, so an eligibility check touches no database.

Most people have one open-ended registration and no sanction: they are stored as the ordinal of the day their
registration began (an int). Everyone else is stored as a full Standing. The snapshot is refreshed from the
`standing` counter: when it moved, only the people stamped with a newer value are reloaded.
"""
from collections import defaultdict
from datetime import date

from sqlalchemy import select
from sqlmodel import Session

from api.db.models import Practitioner, Registration, Sanction
from api.eligibility.repository import load_standings
from api.eligibility.service import UNKNOWN_VERDICT, Answer, standing_verdict
from api.eligibility.versions import current_standing_version
from points import Policy, Rule, Standing, Status

Entry = int | Standing


def compact(standing: Standing) -> Entry:
    if not standing.suspensions and not standing.terminations and len(standing.registrations) == 1:
        first, last = standing.registrations[0]
        if last is None:
            return first.toordinal()
    return standing


_NORMAL = (True, Status.NORMAL, "ELIGIBLE", None, Rule.NORMAL.value)
_UNREGISTERED = (False, Status.UNREGISTERED, "UNREGISTERED", None, Rule.REGISTRATION.value)


def normal_verdicts() -> tuple[tuple, tuple]:
    """The verdicts of a compact entry: registered on the day, or not yet."""
    return _NORMAL, _UNREGISTERED


class Snapshot:
    def __init__(self, version: int, entries: dict[str, Entry], policy: Policy):
        self.version, self.entries = version, entries
        self.policy = policy  # the regional emergency exemption, looked up only for emergencies in a sanction
        # code -> generation of the invalidation: this process changed them and has not reloaded them since
        self.dirty: dict[str, int] = {}
        self.generation = 0

    def invalidate(self, codes) -> None:
        self.generation += 1
        for code in codes:
            self.dirty[code] = self.generation

    def __len__(self) -> int:
        return len(self.entries)

    def knows(self, code: str) -> bool:
        """False when this worker changed the person and has not reloaded them yet: ask the database."""
        return code not in self.dirty

    def verdict(self, code: str, day: date, emergency: bool) -> tuple:
        """(eligible, status, reason, until, rule) — the fields of an Answer after code and date."""
        entry = self.entries.get(code)
        if entry is None:
            return UNKNOWN_VERDICT
        if type(entry) is int:
            return _NORMAL if day.toordinal() >= entry else _UNREGISTERED
        return standing_verdict(entry, code, day, emergency, self.policy)

    def answer(self, code: str, day: date, emergency: bool) -> Answer:
        return Answer(code, day, *self.verdict(code, day, emergency))

    def apply(self, version: int, standings: dict[str, Standing], codes, read_at_generation: int) -> None:
        """Install what was read from the database. A code invalidated after the read began stays dirty."""
        for code in codes:
            standing = standings.get(code)
            if standing is None:
                self.entries.pop(code, None)
            else:
                self.entries[code] = compact(standing)
            if self.dirty.get(code, 0) <= read_at_generation:
                self.dirty.pop(code, None)
        self.version = max(self.version, version)


def load_snapshot(session: Session, policy: Policy) -> Snapshot:
    """Everyone, in three streaming column queries."""
    version = current_standing_version(session)  # read first: later changes are caught by the next refresh
    codes = dict(session.execute(select(Practitioner.id, Practitioner.code)).all())
    registrations, suspensions, terminations = defaultdict(list), defaultdict(list), defaultdict(list)
    for pid, first, last in session.execute(select(Registration.practitioner_id, Registration.starts_on,
                                                   Registration.ends_on)):
        registrations[pid].append((first, last))
    for pid, kind, decided, first, last in session.execute(
            select(Sanction.practitioner_id, Sanction.kind, Sanction.decided_on, Sanction.starts_on, Sanction.ends_on)
            .where(Sanction.revoked_at.is_(None))):
        (suspensions[pid].append((first, last)) if kind == "suspension" else terminations[pid].append((decided, last)))
    entries: dict[str, Entry] = {}
    for pid, code in codes.items():
        regs = registrations.get(pid, ())
        if pid not in suspensions and pid not in terminations and len(regs) == 1 and regs[0][1] is None:
            entries[code] = regs[0][0].toordinal()
        else:
            entries[code] = compact(Standing.of(suspensions.get(pid, ()), terminations.get(pid, ()), regs))
    return Snapshot(version, entries, policy)


def refresh_snapshot(session: Session, snapshot: Snapshot) -> int:
    """Reload the people whose standing changed since the snapshot's version. Returns how many."""
    generation = snapshot.generation  # before reading: later invalidations must survive this refresh
    version = current_standing_version(session)
    if version == snapshot.version and not snapshot.dirty:
        return 0
    changed = set(session.scalars(select(Practitioner.code).where(Practitioner.standing_version > snapshot.version)))
    changed |= set(snapshot.dirty)
    snapshot.apply(version, load_standings(session, changed), changed, generation)
    return len(changed)
