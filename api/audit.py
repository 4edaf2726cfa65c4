"""The audit log: who changed what, when and why, hash-chained so that any edited, deleted or inserted row is
detected (`points audit verify`). Entries are numbered by the 'audit' counter, whose row lock orders concurrent
writers, so the chain never forks."""
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import select
from sqlmodel import Session

from api.clock import utcnow
from api.db.models import AuditLog
from api.eligibility.versions import next_value
from points.privacy import mask_id_numbers

GENESIS = "0" * 64


def entry_hash(seq: int, at: datetime, actor: str, action: str, entity: str, entity_id: str, reason: str,
               detail: str, prev_hash: str) -> str:
    canonical = json.dumps([seq, at.astimezone(timezone.utc).isoformat(), actor, action, entity, entity_id, reason,
                            detail, prev_hash], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def audit(session: Session, actor: str, action: str, entity: str, entity_id: object, reason: str = "",
          detail: dict | None = None, at: datetime | None = None) -> AuditLog:
    seq = next_value(session, "audit", AuditLog.seq)
    prev = session.scalar(select(AuditLog.hash).where(AuditLog.seq == seq - 1)) or GENESIS
    fields = dict(seq=seq, at=at or utcnow(), actor=actor, action=action, entity=entity,
                  entity_id=str(entity_id)[:64], reason=mask_id_numbers(reason),
                  detail=mask_id_numbers(json.dumps(detail or {}, ensure_ascii=False, default=str, sort_keys=True)),
                  prev_hash=prev)
    row = AuditLog(**fields, hash=entry_hash(**fields))
    session.add(row)
    session.flush()
    return row


@dataclass
class Verification:
    entries: int
    broken_at: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def verify_chain(session: Session, chunk: int = 10_000) -> Verification:
    """Recompute every hash in order; report the first entry that does not match."""
    expected_prev, expected_seq, count = GENESIS, 1, 0
    after = 0
    while True:
        rows = session.scalars(select(AuditLog).where(AuditLog.seq > after).order_by(AuditLog.seq).limit(chunk)).all()
        if not rows:
            return Verification(count)
        for row in rows:
            if row.seq != expected_seq:
                return Verification(count, expected_seq, f"entry {expected_seq} is missing")
            if row.prev_hash != expected_prev:
                return Verification(count, row.seq, "does not link to the entry before it")
            recomputed = entry_hash(row.seq, row.at, row.actor, row.action, row.entity, row.entity_id, row.reason,
                                    row.detail, row.prev_hash)
            if recomputed != row.hash:
                return Verification(count, row.seq, "content does not match its hash (edited)")
            expected_prev, expected_seq, count = row.hash, row.seq + 1, count + 1
        after = rows[-1].seq
