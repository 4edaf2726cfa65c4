"""Idempotency-Key on POST: the first answer to (caller, key) is stored in the same transaction as the
change it reports, and replayed for a repeat of the same request. The same key with a different request
is refused (409), so a retried POST never applies twice.

A repeat sent while the first is still running waits for it: the key is claimed (its row inserted) before
the work, so a twin blocks on the unique key (PostgreSQL) or the writer lock (SQLite) until the first
commits, then replays its answer. If the first fails, nothing was stored and the twin does the work."""
import hashlib
import json
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from api.clock import utcnow
from api.db.models import IdempotencyRecord
from api.deps import PrincipalDep, SessionDep
from api.errors import Conflict, InvalidRequest
from points.privacy import has_id_number


class Idempotency:
    def __init__(self, session, principal_id: str, key: str | None, path: str):
        self.session, self.principal_id, self.key, self.path = session, principal_id, key, path

    def run(self, payload: Any, produce: Callable[[], Any], status_code: int = 201) -> JSONResponse:
        if not self.key:
            return JSONResponse(jsonable_encoder(produce()), status_code)
        digest = hashlib.sha256(
            json.dumps([self.path, jsonable_encoder(payload)], sort_keys=True, ensure_ascii=False).encode()
        ).hexdigest()
        claim = IdempotencyRecord(principal=self.principal_id, key=self.key, request_hash=digest,
                                  status_code=0, body="", created_at=utcnow())  # the answer is filled in below
        stored = self._stored() or self._claim(claim)
        if stored is not None:
            if stored.request_hash != digest:
                raise Conflict("this Idempotency-Key was used for a different request", "IDEMPOTENCY_KEY_REUSED")
            return JSONResponse(json.loads(stored.body), stored.status_code, headers={"Idempotent-Replayed": "true"})
        body = jsonable_encoder(produce())
        claim.status_code, claim.body = status_code, json.dumps(body, ensure_ascii=False)
        return JSONResponse(body, status_code)

    def _claim(self, claim: IdempotencyRecord) -> IdempotencyRecord | None:
        """None once this request holds the key; else the answer of the twin that held it and has committed."""
        try:
            with self.session.begin_nested():
                self.session.add(claim)
            return None
        except IntegrityError:
            stored = self._stored()
            if stored is None:
                raise
            return stored

    def _stored(self) -> IdempotencyRecord | None:
        return self.session.scalars(select(IdempotencyRecord).where(
            IdempotencyRecord.principal == self.principal_id, IdempotencyRecord.key == self.key)).first()


def get_idempotency(request: Request, session: SessionDep, principal: PrincipalDep,
                    idempotency_key: Annotated[str | None, Header(max_length=200)] = None) -> Idempotency:
    if idempotency_key and has_id_number(idempotency_key.encode("latin-1").decode("utf-8", "replace")):
        # stored, so refused rather than masked: two keys masked alike would replay each other's answers
        raise InvalidRequest("an Idempotency-Key must not contain a national ID number", "INVALID_IDEMPOTENCY_KEY")
    return Idempotency(session, principal.id, idempotency_key, request.url.path)


IdempotencyDep = Annotated[Idempotency, Depends(get_idempotency)]
