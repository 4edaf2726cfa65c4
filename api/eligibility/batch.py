"""Batch answers as JSON bytes, built from cached fragments: one result per line, same order.

Lines that are well formed and name someone in the snapshot take a tight loop; anything else goes through the
full line parser and gets either an answer or its own error. The output is identical to serialising the
result objects (tests compare them)."""
from collections.abc import Callable, Sequence
from datetime import date

from pydantic_core import to_json

from api.eligibility.service import LineParser, answer_lines
from api.eligibility.snapshot import normal_verdicts
from points.privacy import mask_id_numbers

Verdict = Callable[[str, date, bool], tuple]


def _fragment(verdict: tuple) -> str:
    eligible, status, reason, until, rule = verdict
    return to_json({"eligible": eligible, "status": status, "reason": reason, "until": until,
                    "rule": rule}).decode()[1:-1]


def _ref_json(ref) -> str:
    if ref is None:
        return "null"
    ref = mask_id_numbers(ref)  # echoed: an ID number in a ref is masked (a length check for short refs)
    if ref.isascii() and ref.isprintable() and '"' not in ref and "\\" not in ref:
        return f'"{ref}"'
    return to_json(ref).decode()


def batch_json(lines: Sequence, parser: LineParser, entries: dict, is_fresh: Callable[[str], bool],
               verdict: Verdict, verdict_for: Callable[[set[str]], Verdict],
               known_at_for: Callable[[set[str]], Callable]) -> bytes:
    """`entries`: code -> snapshot entry; `verdict`: the snapshot's; `verdict_for(codes)`: for the other lines;
    `known_at_for(codes)`: for lines with `known_at` (never the snapshot: it only knows now)."""
    fragments: dict[tuple, str] = {}
    days: dict[str, tuple[date, int]] = {}
    registered, unregistered = normal_verdicts()
    parts: list[str | None] = []
    slow: list[int] = []
    for i, line in enumerate(lines):
        if type(line) is dict:
            code, text, emergency, ref = line.get("code"), line.get("date"), line.get("emergency", False), line.get("ref")
            if (type(text) is str and type(emergency) is bool and code in entries and is_fresh(code)
                    and (ref is None or (type(ref) is str and len(ref) <= 64)) and "known_at" not in line):
                known = days.get(text)
                if known is None:
                    try:
                        day = parser.day(text)
                        known = days[text] = (day, day.toordinal())
                    except ValueError:
                        pass
                if known is not None:
                    entry = entries[code]
                    if type(entry) is int:  # the common case: one open registration, no sanction
                        v = registered if known[1] >= entry else unregistered
                    else:
                        v = verdict(code, known[0], emergency)
                    frag = fragments.get(v)
                    if frag is None:
                        frag = fragments[v] = _fragment(v)
                    parts.append(f'{{"ref":{_ref_json(ref)},"code":"{code}","date":"{text}",{frag}}}')
                    continue
        parts.append(None)
        slow.append(i)
    if slow:
        answers = answer_lines([lines[i] for i in slow], parser, verdict_for, known_at_for)
        for i, answer in zip(slow, answers):
            parts[i] = to_json(answer).decode()
    return ("[" + ",".join(parts) + "]").encode()
