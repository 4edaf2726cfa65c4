"""Idempotency-Key on POST: the first answer to (caller, key) is stored in the same transaction as the
change it reports, and replayed for a repeat of the same request. The same key with a different request
is refused (409), so a retried POST never applies twice."""
import hashlib
import json
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy import select

from api.clock import utcnow
from api.db.models import IdempotencyRecord
from api.deps import PrincipalDep, SessionDep
from api.errors import Conflict


class Idempotency:
    def __init__(self, session, principal_id: str, key: str | None, path: str):
        self.session, self.principal_id, self.key, self.path = session, principal_id, key, path

    def run(self, payload: Any, produce: Callable[[], Any], status_code: int = 201) -> JSONResponse:
        if not self.key:
            return JSONResponse(jsonable_encoder(produce()), status_code)
        digest = hashlib.sha256(
            json.dumps([self.path, jsonable_encoder(payload)], sort_keys=True, ensure_ascii=False).encode()
        ).hexdigest()
        stored = self.session.scalars(select(IdempotencyRecord).where(
            IdempotencyRecord.principal == self.principal_id, IdempotencyRecord.key == self.key)).first()
        if stored is not None:
            if stored.request_hash != digest:
                raise Conflict("this Idempotency-Key was used for a different request", "IDEMPOTENCY_KEY_REUSED")
            return JSONResponse(json.loads(stored.body), stored.status_code, headers={"Idempotent-Replayed": "true"})
        body = jsonable_encoder(produce())
        self.session.add(IdempotencyRecord(principal=self.principal_id, key=self.key, request_hash=digest,
                                           status_code=status_code, body=json.dumps(body, ensure_ascii=False),
                                           created_at=utcnow()))
        return JSONResponse(body, status_code)


def get_idempotency(request: Request, session: SessionDep, principal: PrincipalDep,
                    idempotency_key: Annotated[str | None, Header(max_length=200)] = None) -> Idempotency:
    return Idempotency(session, principal.id, idempotency_key, request.url.path)


IdempotencyDep = Annotated[Idempotency, Depends(get_idempotency)]
