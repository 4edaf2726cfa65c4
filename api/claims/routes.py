from typing import Annotated

from fastapi import APIRouter, Body, Path, Query

from api.claims import service
from api.claims.schemas import MAX_CLAIMS, ClaimIn, ClaimPage, ClaimPublic, ClaimResult, ClaimState
from api.clock import utcnow
from api.deps import MAX_ID, ClaimsClientDep, PolicyDep, SessionDep, TodayDep
from api.idempotency import IdempotencyDep

router = APIRouter(prefix="/v1/claims", tags=["settlement"])


@router.post("", response_model=list[ClaimResult], status_code=200,
             summary="Submit claims for settlement; each is answered payable or blocked, with the reason")
def submit_claims(session: SessionDep, policy: PolicyDep, today: TodayDep, who: ClaimsClientDep,
                  idem: IdempotencyDep, claims: Annotated[list[ClaimIn], Body(min_length=1, max_length=MAX_CLAIMS)]):
    """Idempotent by `ref`. Blocked claims are released (to payable) when the practitioner becomes eligible for
    that date again, e.g. after an annulment; paid claims whose date turns ineligible move to `recovery`."""
    return idem.run(claims, lambda: service.submit(session, who.name, claims, policy.person_prefixes, today,
                                                   utcnow()), status_code=200)


@router.get("", response_model=ClaimPage, summary="Claims in a state (blocked, recovery, ...) in your region")
def list_claims(session: SessionDep, who: ClaimsClientDep,
                status: Annotated[ClaimState | None, Query(description="blocked | recovery | payable | paid")] = None,
                after: Annotated[int, Query(ge=0, le=MAX_ID)] = 0, limit: Annotated[int, Query(ge=1, le=1000)] = 100):
    rows = service.list_claims(session, status, who.region_prefix, after, limit)
    return ClaimPage(items=[ClaimPublic.model_validate(r, from_attributes=True) for r in rows],
                     next_cursor=rows[-1].id if len(rows) == limit else None)


@router.post("/{ref}/payment", response_model=ClaimPublic, summary="Record that a payable claim was paid")
def mark_paid(ref: Annotated[str, Path(max_length=64)], session: SessionDep, who: ClaimsClientDep, idem: IdempotencyDep):
    return idem.run({"ref": ref}, lambda: ClaimPublic.model_validate(
        service.mark_paid(session, who.name, ref, utcnow()), from_attributes=True), status_code=200)
