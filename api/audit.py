"""Append an audit entry in the caller's transaction: who, when, what, why."""
import json
from datetime import datetime

from sqlmodel import Session

from api.clock import utcnow
from api.db.models import AuditLog


def audit(session: Session, actor: str, action: str, entity: str, entity_id: object, reason: str = "",
          detail: dict | None = None, at: datetime | None = None) -> None:
    session.add(AuditLog(at=at or utcnow(), actor=actor, action=action, entity=entity, entity_id=str(entity_id),
                         reason=reason, detail=json.dumps(detail or {}, ensure_ascii=False, default=str)))
