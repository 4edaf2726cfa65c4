"""Batch answers as JSON bytes, one result per line, same order, identical to serialising the result objects
(tests compare them byte for byte).

A batch is answered a column at a time (codes, dates, ...), in C loops over the lines rather than a Python step
per line: each distinct code packed and bisected once in the snapshot, days compared, each line's answer the
pre-rendered JSON fragment of its state (api/eligibility/packed.py), and the whole answer one join when every
line is an object of the usual types (each column checked once: a join refuses a value that is not text). Lines
the snapshot cannot answer (people this process changed, `known_at`, unknown or malformed) go through the full line
parser and get either an answer or their own error."""
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from datetime import date
from itertools import compress, repeat
from operator import add, eq, ge, invert, is_, lt, not_, sub

from pydantic_core import to_json

from api.eligibility.packed import NORMAL, UNREGISTERED, fragment
from api.eligibility.service import LineParser, answer_lines
from api.eligibility.snapshot import Snapshot
from points.privacy import mask_id_numbers

Verdict = Callable[[str, date, bool], tuple]
_NO_DAY = -(2**40)  # the ordinal of a date that does not parse: before every registration
_SLOW = -(2**41)  # a code the snapshot cannot answer
_MIN_ID_LENGTH = 18  # shorter text holds no ID number (points/privacy.py)


def _ref_json(ref) -> str:
    if ref is None:
        return "null"
    ref = mask_id_numbers(ref)  # echoed: an ID number in a ref is masked (a length check for short refs)
    if ref.isascii() and ref.isprintable() and '"' not in ref and "\\" not in ref:
        return f'"{ref}"'
    return to_json(ref).decode()


def batch_json(lines: Sequence, parser: LineParser, snapshot: Snapshot,
               verdict_for: Callable[[set[str]], Verdict], known_at_for: Callable[[set[str]], Callable]) -> bytes:
    """`verdict_for(codes)`: verdicts for the lines the snapshot does not answer (people this process changed);
    `known_at_for(codes)`: for lines with `known_at` (never the snapshot: it only knows now)."""
    parts = _parts(lines, parser, snapshot)
    if type(parts) is str:  # every line answered from the snapshot
        return parts.encode()
    slow = _where(list(map(is_, parts, repeat(None))))
    answers = answer_lines([lines[i] for i in slow], parser, verdict_for, known_at_for)
    for i, answer in zip(slow, answers):
        parts[i] = to_json(answer).decode()
    return f"[{','.join(parts)}]".encode()


def _where(flags) -> list[int]:
    return list(compress(range(len(flags)), flags))


def _column(lines: Sequence, name: str, kinds: set[type], blank, slow: set[int]) -> list:
    """The lines' values of a field; a value of another type is left to the line parser (`slow`)."""
    values = list(map(dict.get, lines, repeat(name), repeat(blank)))
    if {*map(type, values)} - kinds:
        for i in _where([type(value) not in kinds for value in values]):
            values[i] = blank
            slow.add(i)
    return values


def _parts(lines: Sequence, parser: LineParser, snapshot: Snapshot) -> str | list[str | None]:
    """The answer's JSON when the snapshot answers every line; else each line's JSON, None for the line
    parser."""
    n, slow = len(lines), set()
    if not n:
        return "[]"
    lines, codes, texts, emergencies, shown, opening = _plain_columns(lines) or _columns(lines, slow)
    ordinals = _ordinals(texts, parser)
    if _NO_DAY in ordinals:
        slow.update(_where(list(map(eq, ordinals, repeat(_NO_DAY)))))
    if any(map(dict.__contains__, lines, repeat("known_at"))):
        slow.update(_where(list(map(dict.__contains__, lines, repeat("known_at")))))
    days_from = list(map(_registered_from(codes, snapshot).__getitem__, codes))
    by_day = (snapshot.states.fragments[UNREGISTERED], snapshot.states.fragments[NORMAL])
    frags = list(map(by_day.__getitem__, map(ge, ordinals, days_from)))
    own = _where(list(map(lt, days_from, repeat(0))))  # more to their standing, or not for the snapshot
    slow.update(i for i in own if days_from[i] == _SLOW)
    _own_fragments([i for i in own if i not in slow] if slow else own, codes, ordinals, days_from, emergencies,
                   snapshot, frags, slow)
    parts = [None] * (9 * n)  # one join over the pieces of every line
    parts[0::9], parts[1::9], parts[2::9], parts[3::9] = [opening[0]] * n, shown, [opening[1]] * n, codes
    parts[4::9], parts[5::9], parts[6::9], parts[7::9] = ['","date":"'] * n, texts, ['",'] * n, frags
    parts[8::9] = ["},"] * n
    if not slow:  # the whole array in one join
        parts[0], parts[-1] = "[" + parts[0], "}]"
        return "".join(parts)
    return [None if i in slow else "".join(parts[9 * i:9 * i + 8]) + "}" for i in range(n)]


def _plain_columns(lines: Sequence) -> tuple | None:
    """The columns when every line is an object of the usual types whose ref is short plain text (the common
    case: a check per column instead of per value); None otherwise."""
    try:  # dict.get refuses a line that is not an object, a join anything that is not a string
        codes = list(map(dict.get, lines, repeat("code")))
        texts = list(map(dict.get, lines, repeat("date")))
        refs = list(map(dict.get, lines, repeat("ref")))
        "".join(codes), "".join(texts)  # their text is checked by packing and parsing them
        refs_text = "".join(refs)
    except TypeError:
        return None
    emergencies = list(map(dict.get, lines, repeat("emergency"), repeat(False)))
    if not {*map(type, emergencies)} <= {bool} or max(map(len, refs), default=0) >= _MIN_ID_LENGTH:
        return None
    if not _plain_text(refs_text):
        return None
    return lines, codes, texts, emergencies, refs, ('{"ref":"', '","code":"')


def _columns(lines: Sequence, slow: set[int]) -> tuple:
    """The lines (each not an object replaced by {}) and their columns; values of another type are left to the line parser (`slow`)."""
    try:
        codes = _column(lines, "code", {str}, "", slow)
    except TypeError:  # a line that is not an object
        slow.update(_where([type(line) is not dict for line in lines]))
        lines = [line if type(line) is dict else {} for line in lines]
        codes = _column(lines, "code", {str}, "", slow)
    texts = _column(lines, "date", {str}, "", slow)
    emergencies = _column(lines, "emergency", {bool}, False, slow)
    shown, opening = _refs(_column(lines, "ref", {str, type(None)}, None, slow), slow)
    return lines, codes, texts, emergencies, shown, opening


def _refs(refs: list[str | None], slow: set[int]) -> tuple[list[str], tuple[str, str]]:
    """The refs as echoed, and the JSON around them: as they are between quotes when that needs no escaping
    nor masking (short plain text), else each as JSON (None: null), an ID number in it masked."""
    if None not in refs and max(map(len, refs), default=0) < _MIN_ID_LENGTH and _plain_text("".join(refs)):
        return refs, ('{"ref":"', '","code":"')
    slow.update(i for i, ref in enumerate(refs) if ref is not None and len(ref) > 64)
    return [_ref_json(ref) if ref is None or len(ref) <= 64 else "" for ref in refs], ('{"ref":', ',"code":"')


def _own_fragments(own: list[int], codes: list[str], ordinals: list[int], days_from: list[int],
                   emergencies: list[bool], snapshot: Snapshot, frags: list[str], slow: set[int]) -> None:
    """Sets the answers' fragments of the lines of people with more to their standing than a registration day;
    a line whose person the snapshot no longer knows goes to `slow`."""
    states = snapshot.states
    found = _states(snapshot, list(map(codes.__getitem__, own)), list(map(ordinals.__getitem__, own)),
                    list(map(days_from.__getitem__, own)))
    if None in found:
        slow.update(i for i, state in zip(own, found) if state is None)
        kept = [k for k, state in enumerate(found) if state is not None]
        own, found = list(map(own.__getitem__, kept)), list(map(found.__getitem__, kept))
    list(map(frags.__setitem__, own, map(states.fragments.__getitem__, found)))
    if True not in emergencies:
        return
    for i, state in zip(own, found):
        if emergencies[i] is True and states.answers[state][1] is not None:  # exempt in some regions' states
            frags[i] = fragment(snapshot.answer_of(state, codes[i], date.fromordinal(ordinals[i]), True))


def _states(snapshot: Snapshot, codes: list[str], ordinals: list[int], days_from: list[int]) -> list[int | None]:
    """The states of people with more to their standing than a registration day (days_from = -1 - their place
    among the others), in C loops; people changed since the load (-1) are looked up one by one."""
    out: list[int | None] = [None] * len(codes)
    looked_up = set(_where(list(map(eq, days_from, repeat(-1)))))
    for i in looked_up:
        out[i] = snapshot.state(codes[i], ordinals[i])
    arrays = [i for i in range(len(codes)) if i not in looked_up] if looked_up else range(len(codes))
    at, days, states = snapshot.other_at, snapshot.other_days, snapshot.other_states
    places = list(map(invert, map(days_from.__getitem__, arrays)))
    ends = map(at.__getitem__, map(add, places, repeat(1)))
    found = map(bisect_right, repeat(days, len(places)), map(ordinals.__getitem__, arrays),
                map(at.__getitem__, places), ends)
    for i, state in zip(arrays, map(states.__getitem__, map(sub, found, repeat(1)))):
        out[i] = state
    return out


def _ordinals(texts: list[str], parser: LineParser) -> list[int]:
    days = {}
    for text in set(texts):
        try:
            days[text] = parser.day(text).toordinal()
        except ValueError:
            days[text] = _NO_DAY
    return list(map(days.__getitem__, texts))


def _registered_from(codes: list[str], snapshot: Snapshot) -> dict[str, int]:
    """Each distinct code -> the day its person is registered from when that is all the snapshot holds; a
    negative number when there is more (answered a line at a time), _SLOW when the snapshot cannot answer."""
    unique = list(dict.fromkeys(codes))
    keys = snapshot.keys
    packed = snapshot.packer.pack_all(unique)
    if None in packed:
        packed = [-1 if key is None else key for key in packed]
    at = list(map(bisect_left, repeat(keys, len(unique)), packed))
    days = list(map(snapshot.since.__getitem__, at))
    for i in _where(list(map(not_, map(eq, map(keys.__getitem__, at), packed)))):  # unknown as sent
        days[i] = _SLOW
    out = dict(zip(unique, days))
    if snapshot.changed:  # changed since the load: looked up there
        out.update(dict.fromkeys(snapshot.changed.keys() & out.keys(), -1))
    if snapshot.dirty:  # changed by this process: from the database
        out.update(dict.fromkeys(snapshot.dirty.keys() & out.keys(), _SLOW))
    return out


def _plain_text(text: str) -> bool:
    """Echoed as is between quotes: no escaping needed."""
    return text.isascii() and text.isprintable() and '"' not in text and "\\" not in text
