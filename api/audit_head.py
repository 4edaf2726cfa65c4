"""Signed heads of the audit chain, kept outside the database so that removing the newest entries is detected.

A checkpoint is one JSON line `{"seq", "hash", "at", "mac"}`: the newest entry's position and hash, when it was
taken, and an HMAC under the audit key. Lines are appended to a file created 0600 (POINTS_AUDIT_HEAD_FILE,
default data_dir/audit-head.jsonl) and printed for the operator to keep elsewhere. Because each entry's hash
covers every entry before it, one intact head vouches for the whole chain up to its seq."""
import fcntl
import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlmodel import Session

from api import audit as chain
from api.clock import utcnow

LABEL = "points audit head v1"


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    at: str
    mac: str

    def line(self) -> str:
        return json.dumps({"seq": self.seq, "hash": self.hash, "at": self.at, "mac": self.mac},
                          separators=(",", ":"))


def _mac(key: bytes, seq: int, digest: str, at: str) -> str:
    message = json.dumps([LABEL, seq, digest, at], separators=(",", ":")).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def sign(key: bytes, seq: int, digest: str, at: datetime) -> Checkpoint:
    stamp = at.isoformat().replace("+00:00", "Z")
    return Checkpoint(seq, digest, stamp, _mac(key, seq, digest, stamp))


class BadCheckpoint(ValueError):
    """A line that is not a checkpoint, or not one signed with this key."""


def parse(line: str, key: bytes) -> Checkpoint:
    try:
        data = json.loads(line)
        point = Checkpoint(int(data["seq"]), str(data["hash"]), str(data["at"]), str(data["mac"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise BadCheckpoint(f"not a checkpoint line: {line.strip()[:200]!r}") from exc
    if not hmac.compare_digest(_mac(key, point.seq, point.hash, point.at).encode(), point.mac.encode()):
        raise BadCheckpoint(f"checkpoint at entry {point.seq} is not signed with this audit key (forged, or the key "
                            "changed)")
    return point


def head_file(config=None) -> Path:
    config = config or chain.settings()
    return Path(config.audit_head_file or Path(config.data_dir) / "audit-head.jsonl")


def _lines(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()] if path.exists() else []


def read(path: Path, key: bytes) -> tuple[Checkpoint | None, list[str]]:
    """The newest valid checkpoint in the file (None: there is none), and a problem for each line that is not
    a checkpoint signed with this key."""
    newest, problems = None, []
    for number, line in enumerate(_lines(path), 1):
        try:
            newest = parse(line, key)
        except BadCheckpoint as exc:
            problems.append(f"{path}, line {number}: {exc}")
    return newest, problems


def _last_checkpoint(file, key: bytes) -> Checkpoint | None:
    """The file's last line, if it is a valid checkpoint (read from the end: the file only grows)."""
    size = file.seek(0, os.SEEK_END)
    file.seek(max(0, size - 4096))
    lines = [line for line in file.read().decode("utf-8", "replace").splitlines() if line.strip()]
    try:
        return parse(lines[-1], key) if lines else None
    except BadCheckpoint:
        return None  # a damaged line stays where it is (verify reports it); a fresh checkpoint follows


def checkpoint(session: Session, path: Path | None = None, key: bytes | None = None,
               now: datetime | None = None) -> tuple[Checkpoint, bool]:
    """Sign the current head and append it to the file, unless the newest line already holds this head
    (idempotent: safe to run twice, or from two processes). Returns the checkpoint and whether it was written."""
    path, key = path or head_file(), key or chain.chain_key()
    seq, digest = chain.head(session)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "r+b") as file:
        fcntl.flock(file, fcntl.LOCK_EX)  # one writer at a time; released when the file closes
        last = _last_checkpoint(file, key)
        if last is not None and (last.seq, last.hash) == (seq, digest):
            return last, False
        point = sign(key, seq, digest, now or utcnow())
        file.write((point.line() + "\n").encode())
        file.flush()
        os.fsync(file.fileno())
    return point, True


def compare(session: Session, point: Checkpoint) -> str | None:
    """What is wrong with the table against a checkpoint (None: the entry at its seq is there, unchanged).
    With an intact chain this covers every entry at or below the checkpointed seq."""
    if point.seq == 0:
        return None
    seq, _ = chain.head(session)
    if seq < point.seq:
        return (f"entries {seq + 1}–{point.seq} are missing: the checkpoint of {point.at} saw entry {point.seq}, "
                f"the table ends at {seq} (newest entries removed)")
    found = chain.hash_at(session, point.seq)
    if found is None:
        return f"entry {point.seq}, checkpointed at {point.at}, is missing"
    if found != point.hash:
        return (f"entry {point.seq} differs from the checkpoint of {point.at}: the chain up to it was rewritten "
                "(or resealed after that checkpoint)")
    return None


@dataclass
class Report:
    failures: list[str]
    notes: list[str]

    @property
    def ok(self) -> bool:
        return not self.failures


def verify_log(session: Session, path: Path | None = None, heads: tuple[str, ...] = (),
               key: bytes | None = None) -> Report:
    """The chain (every hash, under the key), every line of the head file, and the table against the newest
    checkpoint in the file and against each head line the operator gives."""
    path, key = path or head_file(), key or chain.chain_key()
    report = Report([], [])
    result = chain.verify_chain(session, key)
    (report.notes if result.ok else report.failures).append(result.describe())
    newest, problems = read(path, key)
    report.failures.extend(problems)
    points = [(f"the newest checkpoint in {path}", newest)] if newest else []
    if newest is None and not problems:
        report.notes.append(f"no checkpoint in {path}: removal of the newest entries cannot be detected "
                            "(run `points audit checkpoint`)")
    for line in heads:
        try:
            points.append(("the head given", parse(line, key)))
        except BadCheckpoint as exc:
            report.failures.append(f"--head: {exc}")
    for label, point in points:
        problem = compare(session, point)
        if problem:
            report.failures.append(problem)
        else:
            report.notes.append(f"entry {point.seq} matches {label} (taken {point.at})")
    return report
