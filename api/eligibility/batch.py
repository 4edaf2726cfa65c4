"""Batch answers as JSON, one result per line, same order, identical to serialising the result objects (tests
compare them byte for byte).

A body is first decoded as a list of typed lines (`TypedLine`, in C); a body of any other shape is read as
generic JSON and its lines' types checked here, a column at a time.

A batch is answered a column at a time (codes, dates, ...), in C loops over the lines rather than a Python step
per line: each distinct code packed and bisected once in the snapshot, days compared, each line's answer the
pre-rendered JSON of its state (api/eligibility/packed.py). Lines the snapshot cannot answer (people this process
changed, `known_at`, unknown or malformed) go through the full line parser and get an answer or their own error.
The JSON is rendered as it is sent, CHUNK_LINES lines a piece, each piece one join."""
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from itertools import compress, repeat
from operator import add, attrgetter, eq, ge, invert, lt, not_, sub
from typing import Annotated

import msgspec
from pydantic_core import to_json

from api.eligibility.packed import NORMAL, UNREGISTERED, fragment
from api.eligibility.schemas import MAX_BATCH
from api.eligibility.service import LineParser, answer_lines
from api.eligibility.snapshot import Snapshot
from points.privacy import mask_id_numbers

Verdict = Callable[[str, date, bool], tuple]
_NO_DAY = -(2**40)  # the ordinal of a date that does not parse: before every registration
_SLOW = -(2**41)  # a code the snapshot cannot answer
_MIN_ID_LENGTH = 18  # shorter text holds no ID number (points/privacy.py)


class TypedLine(msgspec.Struct, gc=False, forbid_unknown_fields=True):
    """A line of the usual types with the API's BatchLine fields only (a body with other fields is read as generic
    JSON, which checks what it holds as before); lengths and values are checked as for any line."""
    code: str
    date: str
    ref: str | None = None
    emergency: bool = False
    known_at: str | None = None


_TYPED_LINES = msgspec.json.Decoder(Annotated[list[TypedLine], msgspec.Meta(max_length=MAX_BATCH)])
_TYPED_FIELDS = tuple(map(attrgetter, ("code", "date", "ref", "known_at")))
_EMERGENCY = attrgetter("emergency")


def decode_typed(body: bytes) -> list[TypedLine] | None:
    """The lines when the body is an array of at most MAX_BATCH lines of the usual types; None otherwise (the
    body is then read as generic JSON, which gives each odd line its own error, or refuses the body)."""
    try:
        return _TYPED_LINES.decode(body)
    except (ValueError, RecursionError):  # msgspec.DecodeError (another shape, type or field; not JSON), bad UTF-8
        return None


def _as_dict(line) -> dict:
    return msgspec.structs.asdict(line) if type(line) is TypedLine else line


def _ref_json(ref) -> str:
    if ref is None:
        return "null"
    ref = mask_id_numbers(ref)  # echoed: an ID number in a ref is masked (a length check for short refs)
    if ref.isascii() and ref.isprintable() and '"' not in ref and "\\" not in ref:
        return f'"{ref}"'
    return to_json(ref).decode()


def batch_json(lines: Sequence, parser: LineParser, snapshot: Snapshot,
               verdict_for: Callable[[set[str]], Verdict], known_at_for: Callable[[set[str]], Callable]) -> bytes:
    """The whole answer (`batch_chunks` joined)."""
    return b"".join(batch_chunks(lines, parser, snapshot, verdict_for, known_at_for))


def batch_chunks(lines: Sequence, parser: LineParser, snapshot: Snapshot, verdict_for: Callable[[set[str]], Verdict],
                 known_at_for: Callable[[set[str]], Callable]) -> "Rendered":
    """Every line answered; the JSON is rendered when iterated, CHUNK_LINES lines a piece.
    `verdict_for(codes)`: verdicts for the lines the snapshot does not answer (people this process changed);
    `known_at_for(codes)`: for lines with `known_at` (never the snapshot: it only knows now)."""
    rendered = _answered(lines, parser, snapshot)
    rendered.lines = lines  # freed with the answer, once sent: freeing 100,000 lines takes milliseconds
    if rendered.slow:
        slow = sorted(rendered.slow)
        answers = answer_lines([_as_dict(lines[i]) for i in slow], parser, verdict_for, known_at_for)
        rendered.slow = {i: to_json(answer).decode() for i, answer in zip(slow, answers)}
    return rendered


CHUNK_LINES = 8192


class Rendered:
    """The answers' columns; iterating gives the JSON array in pieces, each one join over the pieces of its lines
    (a line the line parser answered takes its own JSON instead)."""

    def __init__(self, opening: tuple[str, str] = ("", ""), shown=(), codes=(), texts=(), dates=None, frags=(),
                 slow: set[int] | dict[int, str] = frozenset()):
        self.opening, self.shown, self.codes, self.texts, self.frags = opening, shown, codes, texts, frags
        self.dates = dates  # date text -> its piece, `","date":"…",`
        self.slow = slow  # line -> its JSON, once answered
        self.lines: Sequence = ()

    def __len__(self) -> int:
        return len(self.codes)

    def __iter__(self) -> Iterator[bytes]:
        n = len(self.codes)
        if not n:
            yield b"[]"
            return
        ref_open, code_open = self.opening
        slow = sorted(self.slow)
        for first in range(0, n, CHUNK_LINES):
            last = min(first + CHUNK_LINES, n)
            k = last - first
            parts = [ref_open, None, code_open, None, None, None] * k  # a line: ref, code, date, its answer
            parts[1::6], parts[3::6] = self.shown[first:last], self.codes[first:last]
            parts[4::6] = map(self.dates.__getitem__, self.texts[first:last])
            parts[5::6] = self.frags[first:last]  # each ends `},`
            for i in slow[bisect_left(slow, first):bisect_left(slow, last)]:
                at = 6 * (i - first)
                parts[at:at + 6] = ["", "", "", "", "", self.slow[i] + ","]
            if first == 0:
                parts[0] = "[" + parts[0]
            if last == n:
                parts[-1] = parts[-1][:-1] + "]"
            yield "".join(parts).encode()


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


def _answered(lines: Sequence, parser: LineParser, snapshot: Snapshot) -> Rendered:
    """The lines answered from the snapshot; those it cannot answer in `slow`, for the line parser."""
    slow = set()
    if not lines:
        return Rendered()
    if type(lines[0]) is TypedLine:  # all are
        codes, texts, shown, opening = _typed_columns(lines, slow)
        emergency_of = _typed_emergency(lines)
    else:
        lines, codes, texts, emergencies, shown, opening = _plain_columns(lines) or _columns(lines, slow)
        emergency_of = _emergency(emergencies)
        if any(map(dict.__contains__, lines, repeat("known_at"))):
            slow.update(_where(list(map(dict.__contains__, lines, repeat("known_at")))))
    ordinals, dates = _ordinals(texts, parser)
    if _NO_DAY in ordinals:
        slow.update(_where(list(map(eq, ordinals, repeat(_NO_DAY)))))
    days_from = list(map(_registered_from(codes, snapshot).__getitem__, codes))
    by_day = (snapshot.states.fragments[UNREGISTERED], snapshot.states.fragments[NORMAL])
    frags = list(map(by_day.__getitem__, map(ge, ordinals, days_from)))
    own = _where(list(map(lt, days_from, repeat(0))))  # more to their standing, or not for the snapshot
    slow.update(i for i in own if days_from[i] == _SLOW)
    _own_fragments([i for i in own if i not in slow] if slow else own, codes, ordinals, days_from, emergency_of,
                   snapshot, frags, slow)
    return Rendered(opening, shown, codes, texts, dates, frags, slow)


def _typed_columns(lines: list[TypedLine], slow: set[int]) -> tuple:
    """The columns of typed lines; lines with `known_at` are left to the line parser (`slow`)."""
    codes, texts, refs, known_at = (list(map(field, lines)) for field in _TYPED_FIELDS)
    if known_at.count(None) != len(known_at):
        slow.update(i for i, at in enumerate(known_at) if at is not None)
    return (codes, texts, *_refs(refs, slow))


def _typed_emergency(lines: list[TypedLine]) -> Callable[[list[int]], list[bool]]:
    """Emergency care only changes the answer of people with more to their standing than a registration day:
    read for their lines only."""
    return lambda at: list(map(_EMERGENCY, map(lines.__getitem__, at)))


def _emergency(emergencies: list[bool]) -> Callable[[list[int]], list[bool]]:
    return lambda at: list(map(emergencies.__getitem__, at))


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
                   emergency_of: Callable[[list[int]], list[bool]], snapshot: Snapshot, frags: list[str],
                   slow: set[int]) -> None:
    """Sets the answers' fragments of the lines of people with more to their standing than a registration day;
    a line whose person the snapshot no longer knows goes to `slow`."""
    states = snapshot.states
    found = _states(snapshot, own, codes, list(map(ordinals.__getitem__, own)), list(map(days_from.__getitem__, own)))
    if None in found:
        slow.update(i for i, state in zip(own, found) if state is None)
        kept = [k for k, state in enumerate(found) if state is not None]
        own, found = list(map(own.__getitem__, kept)), list(map(found.__getitem__, kept))
    list(map(frags.__setitem__, own, map(states.fragments.__getitem__, found)))
    emergencies = emergency_of(own)
    if True not in emergencies:
        return
    for i, state, emergency in zip(own, found, emergencies):
        if emergency is True and states.answers[state][1] is not None:  # exempt in some regions' states
            frags[i] = fragment(snapshot.answer_of(state, codes[i], date.fromordinal(ordinals[i]), True)) + "},"


def _states(snapshot: Snapshot, own: list[int], codes: list[str], ordinals: list[int],
            days_from: list[int]) -> list[int | None]:
    """The states of the lines `own` (their ordinals and days_from given) of people with more to their standing
    than a registration day (days_from = -1 - their place among the others); people changed since the load (-1)
    are looked up one by one."""
    if -1 not in days_from:
        return _array_states(snapshot, ordinals, days_from)
    looked_up = set(_where(list(map(eq, days_from, repeat(-1)))))
    rest = [k for k in range(len(own)) if k not in looked_up]
    out: list[int | None] = [None] * len(own)
    for k, state in zip(rest, _array_states(snapshot, list(map(ordinals.__getitem__, rest)),
                                            list(map(days_from.__getitem__, rest)))):
        out[k] = state
    for k in looked_up:
        out[k] = snapshot.state(codes[own[k]], ordinals[k])
    return out


def _array_states(snapshot: Snapshot, ordinals: list[int], days_from: list[int]) -> list[int]:
    """The states of people kept in the arrays (days_from = -1 - their place), in C loops."""
    at, days, states = snapshot.other_at, snapshot.other_days, snapshot.other_states
    places = list(map(invert, days_from))
    found = map(bisect_right, repeat(days, len(places)), ordinals, map(at.__getitem__, places),
                map(at.__getitem__, map(add, places, repeat(1))))
    return list(map(states.__getitem__, map(sub, found, repeat(1))))


def _ordinals(texts: list[str], parser: LineParser) -> tuple[list[int], dict[str, str]]:
    """Each line's day as an ordinal (_NO_DAY when it does not parse), and each distinct date's piece of the
    answer (`","date":"…",`)."""
    days, dates = {}, {}
    for text in set(texts):
        try:
            days[text] = parser.day(text).toordinal()
        except ValueError:
            days[text] = _NO_DAY
        dates[text] = f'","date":"{text}",'
    return list(map(days.__getitem__, texts)), dates


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
