"""An in-memory copy of everyone's standing, so an eligibility check touches no database.

Everyone is in two parallel arrays sorted by packed code (api/eligibility/packed.py): the code as an int, and
the day their registration began, or, for the few with more to their standing (a sanction, an ended
registration), a negative number pointing at the days their state changes and their states. About 12 bytes a
person. A lookup packs the code and bisects. People whose standing changed since the load are kept in `changed`
(code -> entry) and looked up there first; when it grows large the owner reloads everything.

The snapshot is refreshed from the `standing` counter: when it moved, only the people stamped with a newer
value are reloaded (api/eligibility/versions.py). A load starts from the saved image when there is a usable one
(api/eligibility/image.py) and reloads the people changed since, as a refresh does; else it reads everyone."""
import gc
import logging
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from itertools import islice
from operator import itemgetter, lt

from sqlalchemy import func, select
from sqlmodel import Session

from api.db.engine import streamed
from api.db.models import Practitioner
from api.eligibility.image import Image, load_image
from api.eligibility.packed import (
    NEVER,
    NORMAL,
    UNREGISTERED,
    CodePacker,
    Entry,
    States,
    plan,
    registered_plan,
    standing_plan,
    state_of,
)
from api.eligibility.repository import load_standings
from api.eligibility.service import UNKNOWN_VERDICT, Answer
from api.eligibility.versions import current_standing_version
from points import Policy, Standing
from points.codes import person_region

log = logging.getLogger("points.snapshot")
_FLAGGED = -(2**31)  # while loading: has more to their standing than a registration day
END = 2**63 - 1  # the last key: a bisection always lands on a key
_ABSENT = object()
CHUNK = 20_000  # rows fetched at a time
_FIRST, _SECOND = itemgetter(0), itemgetter(1)


class Snapshot:
    def __init__(self, version: int, policy: Policy, packer: CodePacker, states: States, keys: array, since: array,
                 others: tuple[array, array, array], changed: dict[str, Entry | None]):
        self.version, self.policy, self.packer, self.states = version, policy, packer, states
        # sorted packed codes, then END; registration day, or -1 - (index in others)
        self.keys, self.since = keys, since
        self.other_at, self.other_days, self.other_states = others  # others[j]: days/states[at[j]:at[j + 1]]
        self.changed = changed  # code -> entry (None: no such person), consulted before the arrays
        self.people = len(keys) - 1 + sum((entry is not None) - self._in_arrays(code) for code, entry in changed.items())
        # code -> (generation of the invalidation, standing value it wrote): this process changed them and has not
        # reloaded them since (read-your-writes)
        self.dirty: dict[str, tuple[int, int]] = {}
        self.generation = 0
        self.origin = "database"  # or "image": installed from the saved image, then refreshed

    def _in_arrays(self, code: str) -> bool:
        key = self.packer.pack(code)
        return key is not None and self.keys[bisect_left(self.keys, key)] == key

    def __len__(self) -> int:
        return self.people

    def __contains__(self, code) -> bool:
        return self.state(code, 0) is not None

    def knows(self, code: str) -> bool:
        """False when this worker changed the person and has not reloaded them yet: ask the database."""
        return code not in self.dirty

    @property
    def crowded(self) -> bool:
        """Enough people changed since the load that a reload would be smaller and quicker to search."""
        return len(self.changed) > crowd(len(self.keys))

    def image(self) -> Image:
        """The arrays and what they refer to, to be saved (only from a load: this process's changes not in)."""
        arrays = {"keys": self.keys, "since": self.since, "other_at": self.other_at, "other_days": self.other_days,
                  "other_states": self.other_states}
        return Image(self.version, self.packer.prefixes, arrays, self.states, dict(self.changed))

    @classmethod
    def from_image(cls, image: Image, policy: Policy) -> "Snapshot":
        a = image.arrays
        snapshot = cls(image.version, policy, CodePacker(image.prefixes), image.states, a["keys"], a["since"],
                       (a["other_at"], a["other_days"], a["other_states"]), image.changed)
        snapshot.origin = "image"
        return snapshot

    def state(self, code: str, day: int) -> int | None:
        """The number of the person's state on that day (an ordinal), None for no such person."""
        entry = self.changed.get(code, _ABSENT)
        if entry is not _ABSENT:
            return None if entry is None else state_of(entry, day)
        key = self.packer.pack(code)
        if key is None:
            return None
        keys = self.keys
        i = bisect_left(keys, key)
        if keys[i] != key:
            return None
        since = self.since[i]
        if since >= 0:
            return NORMAL if day >= since else UNREGISTERED
        j = -1 - since
        at = self.other_at
        lo = at[j]
        return self.other_states[bisect_right(self.other_days, day, lo, at[j + 1]) - 1]

    def answer_of(self, state: int, code: str, day: date, emergency: bool) -> tuple:
        """(eligible, status, reason, until, rule). Emergency care is exempt in the states the person's region
        (from the code) exempts on that day."""
        plain, exempted, status = self.states.answers[state]
        if emergency and exempted is not None and status in self.policy.emergency_exempt(person_region(code), day):
            return exempted
        return plain

    def tail(self, state: int, code: str, day: date, emergency: bool) -> bytes:
        """`answer_of` as the end of a single answer's JSON, `"eligible":…,"rule":"…"}` (rendered once a state)."""
        _, exempted, status = self.states.answers[state]
        exempt = emergency and exempted is not None and status in self.policy.emergency_exempt(person_region(code), day)
        return self.states.tails[state][exempt]

    def verdict(self, code: str, day: date, emergency: bool) -> tuple:
        """(eligible, status, reason, until, rule) — the fields of an Answer after code and date."""
        state = self.state(code, day.toordinal())
        return UNKNOWN_VERDICT if state is None else self.answer_of(state, code, day, emergency)

    def answer(self, code: str, day: date, emergency: bool) -> Answer:
        return Answer(code, day, *self.verdict(code, day, emergency))

    def answer_as_sent(self, code: str, day: date, emergency: bool) -> Answer | None:
        """The answer for a code exactly as held here; None when it is not, or when this process changed the
        person and has not reloaded them yet."""
        state = None if code in self.dirty else self.state(code, day.toordinal())
        return None if state is None else Answer(code, day, *self.answer_of(state, code, day, emergency))

    def invalidate(self, changes) -> None:
        """Codes this process changed; a mapping gives the standing value each change wrote, so a refresh from
        a replica that has not replayed it yet keeps answering them from the database."""
        self.generation += 1
        stamps = changes if isinstance(changes, Mapping) else dict.fromkeys(changes, 0)
        for code, stamp in stamps.items():
            self.dirty[code] = (self.generation, stamp)

    def apply(self, version: int, standings: dict[str, Standing], codes, read_at_generation: int) -> None:
        """Install what was read from the database at `version`. A code invalidated after the read began, or
        changed at a later version than was read, stays dirty."""
        for code in codes:
            standing = standings.get(code)
            self.people += (standing is not None) - (code in self)
            self.changed[code] = None if standing is None else plan(standing, self.states)
            generation, stamp = self.dirty.get(code, (0, 0))
            if generation <= read_at_generation and stamp <= version:
                self.dirty.pop(code, None)
        self.version = max(self.version, version)


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


def crowd(people: int) -> int:
    """How many changed people make a whole reload the better choice."""
    return max(10_000, people // 50)


@contextmanager
def _no_collections():
    """A load makes millions of short-lived objects and no cycles: collections would only walk the app's heap."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load_snapshot(session: Session, policy: Policy, image: bool = True) -> Snapshot:
    """Everyone as of now: the saved image and the people changed since it, when it is usable and not too many
    changed since; otherwise everyone read from the database (`image=False`: always)."""
    with _no_collections():
        if image:
            snapshot = _from_image(session, policy)
            if snapshot is not None:
                return snapshot
        return _read_everyone(session, policy)


def _from_image(session: Session, policy: Policy) -> Snapshot | None:
    version = current_standing_version(session)
    try:
        with session.begin_nested():  # a failed read leaves the transaction usable for reading everyone
            saved = load_image(session, policy.person_prefixes, version)
    except Exception:  # an image this code cannot read is not used; reading everyone still works
        log.exception("the saved snapshot image could not be read: reading everyone")
        return None
    if saved is None:
        return None
    most = crowd(len(saved.arrays["keys"])) - len(saved.changed)  # else it would be crowded at once
    if most < 0:
        return None
    since = select(func.count()).select_from(
        select(Practitioner.id).where(Practitioner.standing_version > saved.version).limit(most + 1).subquery())
    if session.scalar(since) > most:
        return None
    snapshot = Snapshot.from_image(saved, policy)
    refresh_snapshot(session, snapshot)
    return snapshot


def _read_everyone(session: Session, policy: Policy) -> Snapshot:
    """Everyone, from a few streamed column queries, into arrays (no object per person)."""
    version = current_standing_version(session)  # read first: later changes are caught by the next refresh
    packer, states = CodePacker(policy.person_prefixes), States()
    loader = _Loader(session, packer, states)
    keys, since, odd = loader.codes()
    loader.sanctioned(since)
    loader.registrations(since)
    others = loader.others(since)
    changed = loader.leftovers(keys, since, odd)
    del keys[0], since[0]  # the sink slot
    if not all(map(lt, keys, islice(keys, 1, None))):  # ordered by code in a collation other than bytes
        order = sorted(range(len(keys)), key=keys.__getitem__)
        keys, since = array("q", map(keys.__getitem__, order)), array("i", map(since.__getitem__, order))
    keys.append(END), since.append(NEVER)
    return Snapshot(version, policy, packer, states, keys, since, others, changed)


class _Loader:
    """The passes of a load. Slot 0 of the arrays is a sink for people kept by code (`odd`), dropped at the end;
    `slot[id]` is a person's place in them."""

    def __init__(self, session: Session, packer: CodePacker, states: States):
        self.session, self.packer, self.states = session, packer, states
        self.postgres = session.get_bind().dialect.name == "postgresql"
        top = session.scalar(select(func.max(Practitioner.id))) or 0
        count = session.scalar(select(func.count()).select_from(Practitioner))
        self.slot = array("i", bytes(4 * (top + 1))) if top <= 4 * count + 1_000_000 else _Zeros()

    def _day(self, column: str) -> str:
        """The column's date as an ordinal (date.toordinal), in SQL."""
        if self.postgres:
            return f"({column} - DATE '0001-01-01' + 1)"
        return f"CAST(julianday({column}) - 1721424.5 AS INTEGER)"

    def _rows(self, sql: str) -> Iterator[list[tuple]]:
        """Lists of rows, read in the session's transaction (a server-side cursor on PostgreSQL)."""
        with streamed(self.session, sql, "points_snapshot") as cursor:
            while rows := cursor.fetchmany(CHUNK):
                yield rows

    def codes(self) -> tuple[array, array, dict[str, int]]:
        keys, odd, slot = array("q", [-1]), {}, self.slot
        for rows in self._rows("SELECT id, code FROM practitioner ORDER BY code"):
            ids, codes = list(map(_FIRST, rows)), list(map(_SECOND, rows))
            packed = self.packer.pack_all(codes)
            if None in packed:
                odd.update((code, pid) for pid, code, key in zip(ids, codes, packed) if key is None)
                kept = [(pid, key) for pid, key in zip(ids, packed) if key is not None]
                ids, packed = [pid for pid, _ in kept], [key for _, key in kept]
            start = len(keys)
            keys.extend(packed)
            for n, pid in enumerate(ids, start):
                slot[pid] = n
        return keys, array("i", [NEVER]) * len(keys), odd

    def sanctioned(self, since: array) -> None:
        slot = self.slot
        for rows in self._rows("SELECT DISTINCT practitioner_id FROM sanction WHERE revoked_at IS NULL"):
            for (pid,) in rows:
                since[slot[pid]] = _FLAGGED

    def registrations(self, since: array) -> None:
        """The earliest start of open registrations; anyone with an ended one is flagged (the least value)."""
        slot = self.slot
        day = f"CASE WHEN ends_on IS NULL THEN {self._day('starts_on')} ELSE {_FLAGGED} END"
        for rows in self._rows(f"SELECT practitioner_id, {day} FROM registration"):
            for s, first in zip(map(slot.__getitem__, map(_FIRST, rows)), map(_SECOND, rows)):
                if first < since[s]:  # noqa: PLR1730 (no store for most rows)
                    since[s] = first

    def others(self, since: array) -> tuple[array, array, array]:
        """The flagged people's facts, person by person, into the days their state changes and the states."""
        at, days, states = array("I", [0]), array("i"), array("I")
        flagged = ("SELECT practitioner_id FROM registration WHERE ends_on IS NOT NULL UNION "
                   "SELECT practitioner_id FROM sanction WHERE revoked_at IS NULL")
        day = self._day
        sql = (f"SELECT practitioner_id, 'r', {day('starts_on')}, {day('ends_on')}, NULL FROM registration "
               f"WHERE practitioner_id IN ({flagged}) UNION ALL "
               f"SELECT practitioner_id, kind, {day('decided_on')}, {day('starts_on')}, {day('ends_on')} "
               "FROM sanction WHERE revoked_at IS NULL ORDER BY 1")

        def install(pid: int, facts: list[tuple]) -> None:
            s = self.slot[pid]
            if s == 0 or since[s] != _FLAGGED:
                return  # kept by code, or changed since the earlier passes read it (the next refresh has it)
            entry = self._entry(facts)
            if type(entry) is int:
                since[s] = entry
            else:
                since[s] = -len(at)
                days.extend(entry[0]), states.extend(entry[1])
                at.append(len(days))

        person, facts = None, []
        for rows in self._rows(sql):
            for row in rows:
                if row[0] != person:
                    if facts:
                        install(person, facts)
                    person, facts = row[0], []
                facts.append(row[1:])
        if facts:
            install(person, facts)
        return at, days, states

    def _entry(self, facts: list[tuple]) -> Entry:
        """(kind, a, b, c) rows: a registration (first, last or None); a sanction (decided, first, last)."""
        if all(kind == "r" for kind, *_ in facts):
            return registered_plan((a, b) for _, a, b, _ in facts)
        day = date.fromordinal
        return standing_plan(Standing.of(
            [(day(b), day(c)) for kind, a, b, c in facts if kind == "suspension"],
            [(day(a), day(c)) for kind, a, b, c in facts if kind not in ("r", "suspension")],
            [(day(a), b and day(b)) for kind, a, b, c in facts if kind == "r"]), self.states)

    def leftovers(self, keys: array, since: array, odd: dict[str, int]) -> dict[str, Entry | None]:
        """People kept by code: codes that do not pack, and anyone still flagged (changed between passes)."""
        codes, i = list(odd), 1
        while True:
            try:
                i = since.index(_FLAGGED, i)
            except ValueError:
                break
            codes.append(self.packer.unpack(keys[i]))
            since[i], i = NEVER, i + 1
        standings = load_standings(self.session, codes) if codes else {}
        return {code: plan(standings[code], self.states) if code in standings else None for code in codes}


class _Zeros(dict):
    """`slot` when practitioner ids are too sparse for an array: unknown ids map to the sink slot."""

    def __missing__(self, key) -> int:
        return 0
