"""The audit log: who changed what, when and why, about whom (`subject`), with `before` and `after` in `detail`.

Entries are numbered by the 'audit' counter, whose row lock orders concurrent writers, so the chain never forks.
Each entry's hash is an HMAC-SHA256, under a key kept outside the database, of its content and the previous
entry's hash: editing, removing or inserting an entry, or rewriting the chain without the key, is detected by
`verify_chain`. Removing the newest entries is detected against a signed head kept outside the table
(api/audit_head.py). Entries written before the key existed are `keyed=False` (plain SHA-256) until
`reseal` re-chains them."""
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import bindparam, func, insert, select, update
from sqlmodel import Session

from api.clock import utcnow
from api.db.models import AuditLog, ChangeCounter
from api.eligibility.versions import next_value
from api.errors import Conflict
from points.privacy import mask_id_numbers

GENESIS = "0" * 64
KEY_LABEL = b"points audit chain v1"  # derives the audit key from the token signing key

_config = {"settings": None, "key": None}


def configure(settings) -> None:
    """Key the chain with these settings (read on first use). The app, the CLI and the scheduler call this."""
    _config["settings"], _config["key"] = settings, None


def settings():
    if _config["settings"] is None:
        from api.settings import get_settings

        _config["settings"] = get_settings()
    return _config["settings"]


def audit_key(config) -> bytes:
    """POINTS_AUDIT_KEY, or HMAC(token signing key, KEY_LABEL): never stored in the database."""
    if config.audit_key:
        return config.audit_key.encode()
    from api.auth.service import signing_key

    return hmac.new(signing_key(config), KEY_LABEL, hashlib.sha256).digest()


def chain_key() -> bytes:
    if _config["key"] is None:
        _config["key"] = audit_key(settings())
    return _config["key"]


def _utc(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()


def entry_hash(seq: int, at: datetime, actor: str, action: str, entity: str, entity_id: str, reason: str,
               detail: str, prev_hash: str) -> str:
    """The unkeyed SHA-256 of entries written before the audit key (migration 0005 chained them with it)."""
    canonical = json.dumps([seq, _utc(at), actor, action, entity, entity_id, reason, detail, prev_hash],
                           ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def keyed_hash(key: bytes, seq: int, at: datetime, actor: str, action: str, entity: str, entity_id: str,
               subject: str | None, reason: str, detail: str, prev_hash: str) -> str:
    canonical = json.dumps(["v1", seq, _utc(at), actor, action, entity, entity_id, subject, reason, detail,
                            prev_hash], ensure_ascii=False, separators=(",", ":"))
    return hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()


def hash_of(row, key: bytes) -> str:
    """The hash `row` (an AuditLog or a row with its columns) must carry."""
    if row.keyed:
        return keyed_hash(key, row.seq, row.at, row.actor, row.action, row.entity, row.entity_id, row.subject,
                          row.reason, row.detail, row.prev_hash)
    return entry_hash(row.seq, row.at, row.actor, row.action, row.entity, row.entity_id, row.reason, row.detail,
                      row.prev_hash)


def _values(seq: int, prev: str, actor: str, action: str, entity: str, entity_id: object, reason: str = "",
            detail: dict | None = None, at: datetime | None = None, subject: str | None = None) -> dict:
    """An entry's columns, its keyed hash included."""
    values = dict(seq=seq, at=at or utcnow(), actor=actor, action=action, entity=entity,
                  entity_id=mask_id_numbers(str(entity_id))[:64], subject=subject, reason=mask_id_numbers(reason),
                  detail=mask_id_numbers(json.dumps(detail or {}, ensure_ascii=False, default=str, sort_keys=True)),
                  prev_hash=prev, keyed=True)
    values["hash"] = keyed_hash(chain_key(), *(values[k] for k in ("seq", "at", "actor", "action", "entity",
                                                                   "entity_id", "subject", "reason", "detail",
                                                                   "prev_hash")))
    return values


def _entry(seq: int, prev: str, *args, **kwargs) -> AuditLog:
    return AuditLog(**_values(seq, prev, *args, **kwargs))


def audit(session: Session, actor: str, action: str, entity: str, entity_id: object, reason: str = "",
          detail: dict | None = None, at: datetime | None = None, subject: str | None = None) -> AuditLog:
    """Append an entry in the caller's transaction. `subject`: the code of the person it is about."""
    seq = next_value(session, "audit", AuditLog.seq)
    prev = session.scalar(select(AuditLog.hash).where(AuditLog.seq == seq - 1)) or GENESIS
    row = _entry(seq, prev, actor, action, entity, entity_id, reason, detail, at, subject)
    session.add(row)
    session.flush()
    return row


def audit_all(session: Session, entries: list[dict], plain: bool = False) -> None:
    """Append several entries (each a dict of `audit`'s arguments) with one counter update, one read of the
    previous hash and one flush: what a job that audits many changes uses. `plain`: as one multi-row INSERT,
    without an ORM object per entry (an import's thousands)."""
    if not entries:
        return
    last = session.execute(update(ChangeCounter).where(ChangeCounter.name == "audit")
                           .values(value=ChangeCounter.value + len(entries)).returning(ChangeCounter.value)).scalar()
    if last is None:  # no counter row (an emptied table): one at a time, which recreates it
        for entry in entries:
            audit(session, **entry)
        return
    seq = last - len(entries)
    prev = session.scalar(select(AuditLog.hash).where(AuditLog.seq == seq)) or GENESIS
    rows = []
    for entry in entries:
        seq += 1
        rows.append(_values(seq, prev, **entry))
        prev = rows[-1]["hash"]
    if plain:
        session.execute(insert(AuditLog.__table__), rows)
        return
    session.add_all(AuditLog(**row) for row in rows)
    session.flush()


@dataclass
class Verification:
    entries: int                  # entries verified (before the break, if any)
    broken_at: int | None = None  # the first entry that was edited, removed, inserted or rewritten
    problem: str = ""
    unkeyed: int = 0              # entries written before the audit key (not yet resealed)
    head_seq: int = 0
    head_hash: str = GENESIS

    @property
    def ok(self) -> bool:
        return self.broken_at is None and self.unkeyed == 0

    def describe(self) -> str:
        if self.broken_at is not None:
            return (f"audit log broken at entry {self.broken_at}: {self.problem} "
                    f"({self.entries} entries verified before it)")
        if self.unkeyed:
            return (f"entries 1–{self.unkeyed} were written before the audit key and are not keyed: anyone with "
                    f"database access could have rewritten them; check them, then run `points audit reseal`")
        return f"audit log intact: {self.entries} entries, head {self.head_seq}"


_COLUMNS = (AuditLog.id, AuditLog.seq, AuditLog.at, AuditLog.actor, AuditLog.action, AuditLog.entity,
            AuditLog.entity_id, AuditLog.subject, AuditLog.reason, AuditLog.detail, AuditLog.prev_hash,
            AuditLog.hash, AuditLog.keyed)


def _rows(session: Session, chunk: int):
    after = 0
    while rows := session.execute(select(*_COLUMNS).where(AuditLog.seq > after).order_by(AuditLog.seq)
                                  .limit(chunk)).all():
        yield from rows
        after = rows[-1].seq


def verify_chain(session: Session, key: bytes | None = None, chunk: int = 10_000) -> Verification:
    """Recompute every hash in order; report the first entry that does not match. Unkeyed entries are only
    accepted before the first keyed one (after it, one is a keyed entry rewritten without the key)."""
    key = key or chain_key()
    result = Verification(0)
    expected_seq = 1
    for row in _rows(session, chunk):
        problem = None
        if row.seq != expected_seq:
            result.broken_at, problem = expected_seq, f"entry {expected_seq} is missing"
        elif row.prev_hash != result.head_hash:
            problem = "does not link to the entry before it"
        elif not row.keyed and result.entries > result.unkeyed:
            problem = "an unkeyed entry after keyed ones (rewritten without the key)"
        elif hash_of(row, key) != row.hash:
            problem = ("content does not match its keyed hash (edited, rewritten without the key, or verified with "
                       "another key)" if row.keyed else "content does not match its hash (edited)")
        if problem:
            result.broken_at, result.problem = result.broken_at or row.seq, problem
            return result
        result.entries, result.unkeyed = result.entries + 1, result.unkeyed + (not row.keyed)
        result.head_seq, result.head_hash, expected_seq = row.seq, row.hash, row.seq + 1
    return result


def lock_chain(session: Session) -> None:
    """Hold the 'audit' counter's row lock: no entry is appended until this transaction ends."""
    session.execute(update(ChangeCounter).where(ChangeCounter.name == "audit").values(value=ChangeCounter.value))


def reseal(session: Session, actor: str, reason: str = "", chunk: int = 10_000) -> Verification:
    """Re-chain every entry under the audit key once the unkeyed ones have been checked, and audit that.
    National ID numbers the old mask missed in unkeyed entries are masked on the way (the count is audited).
    Refused when the chain is broken: a tampered log is reported, never laundered. Returns the check made
    before resealing."""
    lock_chain(session)
    key = chain_key()
    before = verify_chain(session, key, chunk)
    if before.broken_at is not None:
        raise Conflict(before.describe(), "AUDIT_CHAIN_BROKEN")
    if not before.unkeyed:
        return before
    table = AuditLog.__table__
    statement = (update(table).where(table.c.id == bindparam("row_id"))
                 .values(prev_hash=bindparam("new_prev"), hash=bindparam("new_hash"), keyed=True,
                         entity_id=bindparam("new_entity_id"), reason=bindparam("new_reason"),
                         detail=bindparam("new_detail")))
    prev, batch, masked = GENESIS, [], 0
    for row in _rows(session, chunk):
        fields = row._asdict() | {"prev_hash": prev, "keyed": True}
        if not row.keyed:
            fields |= {k: mask_id_numbers(fields[k]) for k in ("entity_id", "reason", "detail")}
            masked += any(fields[k] != getattr(row, k) for k in ("entity_id", "reason", "detail"))
        prev = keyed_hash(key, *(fields[k] for k in ("seq", "at", "actor", "action", "entity", "entity_id",
                                                     "subject", "reason", "detail", "prev_hash")))
        batch.append({"row_id": row.id, "new_prev": fields["prev_hash"], "new_hash": prev,
                      "new_entity_id": fields["entity_id"], "new_reason": fields["reason"],
                      "new_detail": fields["detail"]})
        if len(batch) >= chunk:
            session.connection().execute(statement, batch)
            batch = []
    if batch:
        session.connection().execute(statement, batch)
    audit(session, actor, "audit.reseal", "audit_log", f"1-{before.head_seq}", reason,
          {"entries": before.entries, "unkeyed": before.unkeyed, "id_numbers_masked_in": masked,
           "before": {"head": before.head_hash}, "after": {"head": prev}})
    return before


def head(session: Session) -> tuple[int, str]:
    """(seq, hash) of the newest entry; (0, GENESIS) when there is none."""
    row = session.execute(select(AuditLog.seq, AuditLog.hash).order_by(AuditLog.seq.desc()).limit(1)).first()
    return (row.seq, row.hash) if row else (0, GENESIS)


def hash_at(session: Session, seq: int) -> str | None:
    return session.scalar(select(AuditLog.hash).where(AuditLog.seq == seq))


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AuditLog)) or 0
