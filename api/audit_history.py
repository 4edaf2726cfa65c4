"""A person's history, read back from the audit log: each change with who, when, why, and before → after.
Newest first, a page at a time (entries about a person carry their code as `subject`)."""
import json
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import select
from sqlmodel import Session

from api.db.models import AuditLog
from api.pagination import count, decode_cursor, keyset, paged


class HistoryItem(BaseModel):
    at: datetime
    actor: str
    action: str
    reason: str
    before: dict | None = None
    after: dict | None = None


def _item(row) -> HistoryItem:
    try:
        detail = json.loads(row.detail or "{}")
    except ValueError:
        detail = {}
    detail = detail if isinstance(detail, dict) else {}
    return HistoryItem(at=row.at, actor=row.actor, action=row.action, reason=row.reason,
                       before=detail.get("before"), after=detail.get("after"))


def person_history(session: Session, code: str, limit: int, cursor: str | None) -> tuple[list[HistoryItem],
                                                                                       str | None]:
    """One page of the person's history and the cursor of the next (None on the last page)."""
    filters = {"list": "history", "subject": code}
    after = decode_cursor(cursor, filters)
    query = select(AuditLog.seq, AuditLog.at, AuditLog.actor, AuditLog.action, AuditLog.reason, AuditLog.detail
                   ).where(AuditLog.subject == code)
    rows, next_cursor = paged(session.execute(keyset(query, [AuditLog.seq], after, limit, descending=True)).all(),
                              limit, lambda r: (r.seq,), filters)
    return [_item(r) for r in rows], next_cursor


def count_history(session: Session, code: str) -> int:
    """How many entries the person's history holds (from the (subject, seq) index)."""
    return count(session, select(AuditLog.seq).where(AuditLog.subject == code))


def describe_change(item: HistoryItem) -> str:
    """`points 6 → 3; status suspended → eligible`: each value that changed, or was set."""
    before, after = item.before or {}, item.after or {}
    parts = []
    for name in [*before, *(k for k in after if k not in before)]:
        if name in before and name in after:
            if before[name] != after[name]:
                parts.append(f"{name} {_show(before[name])} → {_show(after[name])}")
        elif name in after:
            parts.append(f"{name} {_show(after[name])}")
        else:
            parts.append(f"{name} {_show(before[name])} → –")
    return "; ".join(parts)


def _show(value) -> str:
    return "–" if value is None else str(value)
