"""The compact forms the snapshot keeps: codes packed into ints, days as ordinals, standings as states by day.

A person's standing decides one state (a status with its rule and end) per day, and that state only changes on
the days its facts start or end. So a standing is kept as the days its state changes and the state from each
day on, the states being small ints into a shared table holding their answers, computed once by the domain
core. A person registered from one day on with nothing else, as most are, is kept as that day alone."""
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from datetime import date
from operator import add, itemgetter

from pydantic_core import to_json

from points import Rule, Standing, Status, StatusAt, eligibility

DIGITS = 10**12  # a person code is a prefix + 12 digits (6 of region, 6 of sequence)
FIRST = -(2**31)  # the day before every day: where each person's first state begins
NEVER = 2**31 - 1  # the registration day of someone never registered
NORMAL, UNREGISTERED = 0, 1  # the states of people registered from a day on, before and after it

Entry = int | tuple[tuple[int, ...], tuple[int, ...]]  # a registration day, or (days, states from each day on)

_DIGITS_OF, _PREFIX_OF = itemgetter(slice(-12, None)), itemgetter(slice(None, -12))


class CodePacker:
    """Person codes <-> ints (prefix number × 10^12 + the 12 digits), for the policy's prefixes. Only codes of
    exactly that form pack, so a packed int names one code; anything else is None."""

    def __init__(self, prefixes: Iterable[str]):
        self.prefixes = sorted(set(prefixes))
        self.offsets = {prefix: (i + 1) * DIGITS for i, prefix in enumerate(self.prefixes)}

    def pack(self, code) -> int | None:
        if type(code) is not str:
            return None
        offset, digits = self.offsets.get(code[:-12]), code[-12:]
        if offset is None or not (digits.isdigit() and digits.isascii()):
            return None
        return offset + int(digits)

    def pack_all(self, codes: Sequence[str]) -> list[int | None]:
        """`pack` over many codes, without a Python call per code when they are all well formed."""
        try:
            digits = list(map(_DIGITS_OF, codes))
            joined = "".join(digits)
            if len(joined) == 12 * len(codes) and joined.isdigit() and joined.isascii():
                return list(map(add, map(self.offsets.__getitem__, map(_PREFIX_OF, codes)), map(int, digits)))
        except (KeyError, TypeError):  # an unknown prefix, or not a string
            pass
        return list(map(self.pack, codes))

    def unpack(self, key: int) -> str:
        return f"{self.prefixes[key // DIGITS - 1]}{key % DIGITS:012d}"


class _Fixed:
    """A standing that is in one state every day: how the domain's `eligibility` answers for a state."""

    def __init__(self, state: StatusAt):
        self.state = state

    def status_on(self, day: date) -> StatusAt:
        return self.state


def _answer(state: StatusAt, emergency: bool, exempt) -> tuple:
    e = eligibility(_Fixed(state), date.min, emergency, exempt)
    return e.eligible, e.status, e.reason, e.until, e.rule.value


def fragment(answer: tuple) -> str:
    """An answer's fields as they end a batch line's JSON object: `"eligible":…,"rule":"…"`."""
    eligible, status, reason, until, rule = answer
    return to_json({"eligible": eligible, "status": status, "reason": reason, "until": until,
                    "rule": rule}).decode()[1:-1]


class States:
    """The distinct states met, numbered; each with its answer, and its answer for emergency care where the
    region exempts its status (None when that changes nothing), and the answer's JSON for batches. Grows only:
    numbers stay valid."""

    def __init__(self):
        self.numbers: dict[StatusAt, int] = {}
        self.answers: list[tuple[tuple, tuple | None, Status]] = []
        self.fragments: list[str] = []  # the answer's JSON as it ends a batch line: `"eligible":…,"rule":"…"},`
        self.tails: list[tuple[bytes, bytes]] = []  # a single answer's end: `"eligible":…}`, plain and exempted
        self.number(StatusAt(Status.NORMAL, Rule.NORMAL))
        self.number(StatusAt(Status.UNREGISTERED, Rule.REGISTRATION))

    def number(self, state: StatusAt) -> int:
        found = self.numbers.get(state)
        if found is None:
            plain, exempted = _answer(state, False, ()), _answer(state, True, {state.status})
            self.answers.append((plain, None if exempted == plain else exempted, state.status))
            self.fragments.append(fragment(plain) + "},")
            self.tails.append((fragment(plain).encode() + b"}", fragment(exempted).encode() + b"}"))
            found = self.numbers[state] = len(self.answers) - 1
        return found


def _entry(days: list[int], states: list[int]) -> Entry:
    """The compact form: a registration day when that is all there is."""
    if states == [UNREGISTERED]:
        return NEVER
    if states == [UNREGISTERED, NORMAL]:
        return days[1]
    return tuple(days), tuple(states)


def registered_plan(registrations: Iterable[tuple[int, int | None]]) -> Entry:
    """Registrations (first day, last day or None) of someone never sanctioned: registered on the days any of
    them covers (Standing.registered_on without terminations)."""
    spans: list[list[int]] = []
    for first, last in sorted((first, NEVER if last is None else last) for first, last in registrations):
        if last < first:
            continue
        if spans and first <= spans[-1][1] + 1:
            spans[-1][1] = max(spans[-1][1], last)
        else:
            spans.append([first, last])
    days, states = [FIRST], [UNREGISTERED]
    for first, last in spans:
        days.append(first), states.append(NORMAL)
        if last != NEVER:
            days.append(last + 1), states.append(UNREGISTERED)
    return _entry(days, states)


def standing_plan(standing: Standing, table: States) -> Entry:
    """Any standing: its state before its first fact, then on each day a fact starts or ends (the days after
    a decision, a ban's or a suspension's last day, a registration's last day)."""
    changes = set()
    for first, last in standing.suspensions:
        changes.update((first.toordinal(), last.toordinal() + 1))
    for decided, ban_ends in standing.terminations:
        changes.update((decided.toordinal() + 1, ban_ends.toordinal() + 1))
    for first, last in standing.registrations:
        changes.add(first.toordinal())
        if last is not None:
            changes.add(last.toordinal() + 1)
    changes = sorted(day for day in changes if day <= date.max.toordinal())
    before = date.fromordinal(changes[0] - 1) if changes and changes[0] > 1 else date.min
    days, states = [FIRST], [table.number(standing.status_on(before))]
    for day in changes:
        state = table.number(standing.status_on(date.fromordinal(day)))
        if state != states[-1]:
            days.append(day), states.append(state)
    return _entry(days, states)


def plan(standing: Standing, table: States) -> Entry:
    if standing.suspensions or standing.terminations:
        return standing_plan(standing, table)
    return registered_plan((first.toordinal(), last and last.toordinal()) for first, last in standing.registrations)


def state_of(entry: Entry, day: int) -> int:
    if type(entry) is int:
        return NORMAL if day >= entry else UNREGISTERED
    days, states = entry
    return states[bisect_right(days, day) - 1]
