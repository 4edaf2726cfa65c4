from datetime import date as Date
from typing import Annotated

from fastapi import APIRouter, Body, Query
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from api.deps import PolicyDep, ReadSessionDep, SettlementDep
from api.eligibility import service
from api.eligibility.schemas import MAX_BATCH, BatchLine, BatchResult, EligibilityPublic

router = APIRouter(prefix="/v1/eligibility", tags=["settlement"])


@router.get("", response_model=EligibilityPublic, summary="May this practitioner be paid for a service on this date?")
def eligibility(session: ReadSessionDep, policy: PolicyDep, _: SettlementDep,
                code: Annotated[str, Query(max_length=32, examples=["D110105000123"])],
                date: Annotated[Date, Query(description="service date, YYYY-MM-DD")],
                emergency: Annotated[bool, Query(description="emergency or rescue care (急诊、急救、抢救)")] = False):
    return service.check_one(session, code, date, emergency, policy.person_prefixes).__dict__


@router.post("/batch", response_model=list[BatchResult],
             summary=f"Eligibility for up to {MAX_BATCH:,} lines, one result per line in the same order")
def eligibility_batch(session: ReadSessionDep, policy: PolicyDep, _: SettlementDep,
                      lines: Annotated[list[BatchLine], Body(max_length=MAX_BATCH)]):
    """Read-only: an Idempotency-Key is accepted and has no effect."""
    return JSONResponse(jsonable_encoder(service.check_batch(session, lines, policy.person_prefixes)))
