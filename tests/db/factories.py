"""Set up people through the real services (no rows written behind the service's back)."""
from datetime import date

from api.db.models import InstitutionCreate, PractitionerCreate
from api.ledger import service as ledger
from api.ledger.schemas import PointRecordCreate, RegistrationCreate
from api.practitioners.service import create_institution, create_practitioner
from tests.conftest import TODAY

HOSPITAL = "H11010500001"
TIANJIN_HOSPITAL = "H12010100001"


def institution(session, code=HOSPITAL, region=None):
    return create_institution(session, "test", InstitutionCreate(
        code=code, name=f"医院{code}", kind="hospital", region=region or code[1:7]))


def person(session, policy, code="D110105000001", at=HOSPITAL, since=date(2020, 1, 1)):
    row = create_practitioner(session, "test", PractitionerCreate(code=code, name="张三", category="medical"), policy)
    ledger.register(session, "test", RegistrationCreate(practitioner_code=code, institution_code=at,
                                                        starts_on=since), policy, TODAY)
    return row


def record(session, policy, code, points, on, violation=None, case=None, at=HOSPITAL, today=TODAY):
    violation = violation or {1: "L01", 4: "H01", 7: "S01", 10: "F01"}[1 + 3 * ((points - 1) // 3)]
    return ledger.record_points(session, "supervisor-1", PointRecordCreate(
        practitioner_code=code, institution_code=at, violation_code=violation, points=points, decision_date=on,
        case_number=case or f"{code}-{on}-{points}-{violation}", authority="北京市朝阳区医疗保障局"), policy, today)


def audit_chain(engine, policy, records: int = 3) -> None:
    """An emptied database whose audit log holds the entries of one person and `records` one-point records."""
    from sqlmodel import Session

    from tests.conftest import wipe

    wipe(engine)
    with Session(engine) as session:
        institution(session)
        person(session, policy)
        for i in range(records):
            record(session, policy, "D110105000001", 1, date(2025, 6, 1 + i), violation="L01")
        session.commit()
