from datetime import date as Date

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import AnyRoleDep, PolicyDep, TodayDep
from points.codes import NATIONAL

router = APIRouter(prefix="/v1", tags=["catalogue"])


class ViolationPublic(BaseModel):
    code: str
    name_zh: str
    name_en: str
    band: str
    low: int
    high: int
    basis: str
    region: str


@router.get("/violations", response_model=list[ViolationPublic],
            summary="Violation types (记分情形) in force in a region on a date, with their points band")
def violations(policy: PolicyDep, today: TodayDep, _: AnyRoleDep, region: str = NATIONAL, on: Date | None = None):
    return [ViolationPublic(**{k: getattr(v, k) for k in ViolationPublic.model_fields})
            for v in policy.catalogue(region, on or today)]
