"""The snapshot's arrays saved in the database (`snapshot_image`), so a starting worker installs everyone from a
few large rows instead of reading every person, then reloads only the people whose standing changed since.

An image holds the arrays of a full load as bytes, and a header: the standing value the load read first, the
format, the person prefixes (codes pack by them), the byte order, the states met (their answers are rendered
anew from them by this code at install) and the people kept by code. Everyone whose standing changed after that
value carries a later one, which is exactly what a refresh reloads. An image whose header does not match this
code and policy, or that is ahead of the database's counter, is not used. The scheduler writes it from a full
load (scheduler/jobs.py, `snapshot_image`)."""
import hashlib
import json
import sys
import uuid
from array import array
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import delete, insert, select
from sqlmodel import Session

import points
from api.db.engine import streamed
from api.db.models import SnapshotImage
from api.eligibility.packed import Entry, States
from points import Rule, Status, StatusAt

FORMAT = 1  # bump when the arrays' meaning changes (api/eligibility/packed.py, snapshot.py)
PART = 2**20  # bytes a row: memory stays flat while reading (one part at a time), and every database takes it
ARRAYS = {"keys": "q", "since": "i", "other_at": "I", "other_days": "i", "other_states": "I"}
assert min(ARRAYS) > "header"  # the header row is read first (load_image)


@dataclass
class Image:
    """What a snapshot is made of, as saved: arrays named as in ARRAYS, the states they number, the people kept
    by code (code -> entry, None: no such person) and the standing value they are current as of."""
    version: int
    prefixes: list[str]
    arrays: dict[str, array]
    states: States
    changed: dict[str, Entry | None]


def _code_digest() -> str:
    """The code that turns facts into the arrays' days and states (the domain core, packed.py, snapshot.py) and
    reads them (this module): another version may have made them otherwise. Without its sources at hand, a digest
    of this process alone (its images are never used)."""
    digest = hashlib.sha256()
    try:
        for path in sorted(Path(points.__file__).parent.glob("*.py")):
            digest.update(path.read_bytes())
        for name in ("packed.py", "snapshot.py", "image.py"):
            digest.update(Path(__file__).with_name(name).read_bytes())
    except OSError:
        return f"unread-{uuid.uuid4()}"
    return digest.hexdigest()


_CODE = _code_digest()


def _fingerprint(prefixes) -> dict:
    return {"format": FORMAT, "code": _CODE, "prefixes": sorted(set(prefixes)), "byteorder": sys.byteorder,
            "itemsizes": {name: array(code).itemsize for name, code in ARRAYS.items()}}


def _state_row(state: StatusAt) -> list:
    return [state.status.value, state.rule.value, state.until and state.until.isoformat()]


def _entry_row(entry: Entry | None):
    return entry if entry is None or type(entry) is int else [list(entry[0]), list(entry[1])]


def _entry_of(row) -> Entry | None:
    return row if row is None or type(row) is int else (tuple(row[0]), tuple(row[1]))


def save_image(session: Session, image: Image, saved_at: datetime) -> int:
    """Replace the saved image with this one (in the caller's transaction). Returns the bytes written."""
    ordered = sorted(image.states.numbers.items(), key=lambda item: item[1])
    header = {**_fingerprint(image.prefixes), "version": image.version, "saved_at": saved_at.isoformat(),
              "lengths": {name: len(image.arrays[name]) for name in ARRAYS},
              "states": [_state_row(state) for state, _ in ordered],
              "changed": {code: _entry_row(entry) for code, entry in image.changed.items()}}
    session.execute(delete(SnapshotImage))
    written = 0
    for name, typecode in ARRAYS.items():
        assert image.arrays[name].typecode == typecode, name
        with memoryview(image.arrays[name]) as whole, whole.cast("B") as data:  # no copy of the whole array
            for part, start in enumerate(range(0, len(data), PART)):
                session.execute(insert(SnapshotImage).values(name=name, part=part,
                                                             data=bytes(data[start:start + PART])))
            written += len(data)
    head = json.dumps(header, separators=(",", ":")).encode()
    session.execute(insert(SnapshotImage).values(name="header", part=0, data=head))
    return written + len(head)


def _header_of(data: bytes | None) -> dict | None:
    try:
        header = json.loads(data) if data is not None else None
    except ValueError:
        return None
    return header if isinstance(header, dict) else None


def read_header(session: Session) -> dict | None:
    """The saved image's header; None when there is none (or it is not one)."""
    return _header_of(session.scalar(select(SnapshotImage.data).where(SnapshotImage.name == "header",
                                                                      SnapshotImage.part == 0)))


def usable(header: dict | None, prefixes, version: int) -> bool:
    """Made by this format and code for these prefixes on this kind of machine, and not ahead of the database."""
    if header is None or type(header.get("version")) is not int or header["version"] > version:
        return False
    return all(header.get(key) == value for key, value in _fingerprint(prefixes).items())


def _fill(arrays: dict[str, array], rows) -> bool:
    """Copies the parts into the arrays, made at their full size first (growing them part by part would copy
    them again and leave the memory fragmented); False unless the parts are in order and fill them exactly."""
    views = {name: memoryview(values).cast("B") for name, values in arrays.items()}
    try:
        filled, parts = dict.fromkeys(arrays, 0), dict.fromkeys(arrays, 0)
        for name, part, data in rows:
            start = filled.get(name)
            if start is None or part != parts[name] or start + len(data) > len(views[name]):
                return False
            views[name][start:start + len(data)] = data
            filled[name], parts[name] = start + len(data), part + 1
        return all(filled[name] == len(views[name]) for name in arrays)
    finally:
        for view in views.values():
            view.release()


def load_image(session: Session, prefixes, version: int) -> Image | None:
    """The saved image, when it is usable here (see `usable`); None otherwise, or when it is incomplete. One
    statement reads it all (streamed), so a new image committed meanwhile is never mixed with the old one."""
    # a row at a time (one part in memory at once), in primary key order: no sort (SQLite would sort every blob
    # in memory), and "header" comes first
    with streamed(session, "SELECT name, part, data FROM snapshot_image ORDER BY name, part", "points_image",
                  binary=True) as cursor:
        rows = iter(cursor.fetchone, None)
        first = next(rows, None)
        header = _header_of(first[2]) if first is not None and first[0] == "header" else None
        if not usable(header, prefixes, version):
            return None
        arrays = {name: array(code, [0]) * header["lengths"][name] for name, code in ARRAYS.items()}
        if not _fill(arrays, rows):
            return None
    states = States()
    for n, (status, rule, until) in enumerate(header["states"]):
        if states.number(StatusAt(Status(status), Rule(rule), until and date.fromisoformat(until))) != n:
            return None  # numbered otherwise by this code: the arrays would point at the wrong answers
    changed = {code: _entry_of(row) for code, row in header["changed"].items()}
    return Image(header["version"], header["prefixes"], arrays, states, changed)
