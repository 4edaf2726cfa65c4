from typing import Annotated

from fastapi import APIRouter, Body, Path, Query, Request

from api.claims import service
from api.claims.schemas import MAX_CLAIMS, ClaimIn, ClaimPublic, ClaimResult, ClaimState
from api.clock import utcnow
from api.deps import ClaimsClientDep, PolicyDep, ReadSessionDep, SessionDep, TodayDep
from api.idempotency import IdempotencyDep
from api.pagination import CursorQuery, LimitQuery, Page, decode_cursor, paged

router = APIRouter(prefix="/v1/claims", tags=["settlement"])


@router.post("", response_model=list[ClaimResult], status_code=200,
             summary="Submit claims for settlement; each is answered payable or blocked, with the reason")
def submit_claims(session: SessionDep, policy: PolicyDep, today: TodayDep, who: ClaimsClientDep,
                  idem: IdempotencyDep, claims: Annotated[list[ClaimIn], Body(min_length=1, max_length=MAX_CLAIMS)]):
    """Idempotent by `ref`. Blocked claims are released (to payable) when the practitioner becomes eligible for
    that date again, e.g. after an annulment; paid claims whose date turns ineligible move to `recovery`."""
    return idem.run(claims, lambda: service.submit(session, who, claims, policy, today, utcnow()), status_code=200)


@router.get("", response_model=Page[ClaimPublic], summary="Claims in a state (blocked, recovery, ...) in your region")
def list_claims(request: Request, session: ReadSessionDep, who: ClaimsClientDep,
                status: Annotated[ClaimState | None, Query(description="blocked | recovery | payable | paid")] = None,
                limit: LimitQuery = 100, cursor: CursorQuery = None,
                after: Annotated[str | None, Query(max_length=512, description="older name of `cursor` (a claim id "
                                                   "is also taken)")] = None):
    filters = {"list": "claims", "status": status}
    cursor = cursor or after
    key = (int(cursor),) if cursor and cursor.isdigit() and len(cursor) <= 10 else decode_cursor(cursor, filters)
    rows, next_cursor = paged(service.list_claims(session, status, who, key, limit), limit, lambda c: (c.id,), filters)
    # no total: a national settlement system's claims may number millions
    return Page[ClaimPublic].of(request, [ClaimPublic.model_validate(r, from_attributes=True) for r in rows],
                                next_cursor)


@router.post("/{ref}/payment", response_model=ClaimPublic, summary="Record that a payable claim was paid")
def mark_paid(ref: Annotated[str, Path(max_length=64)], session: SessionDep, who: ClaimsClientDep, idem: IdempotencyDep):
    return idem.run({"ref": ref}, lambda: ClaimPublic.model_validate(
        service.mark_paid(session, who, ref, utcnow()), from_attributes=True), status_code=200)
