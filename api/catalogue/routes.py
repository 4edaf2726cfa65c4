from datetime import date as Date

from fastapi import APIRouter

from api.deps import AnyRoleDep, PolicyDep, TodayDep
from points.codes import NATIONAL
from points.policy import Violation

router = APIRouter(prefix="/v1", tags=["catalogue"])


@router.get("/violations", response_model=list[Violation],
            summary="Violation types (记分情形) in force in a region on a date, with their points band and source")
def violations(policy: PolicyDep, today: TodayDep, _: AnyRoleDep, region: str = NATIONAL, on: Date | None = None):
    return policy.catalogue(region, on or today)
