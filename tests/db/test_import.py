from datetime import date

from sqlalchemy import func, select

from api.db.models import Practitioner, Registration
from api.practitioners.importer import import_practitioners
from tests.conftest import TODAY
from tests.db.factories import institution

CSV = """code,name,category,institution_code,registered_on
D110105000001,王伟,medical,H11010500001,2024-01-01
D110105000002,李娜,nursing,H11010500001,2024-02-01
X110105000003,坏前缀,medical,H11010500001,2024-01-01
D110105000004,,medical,H11010500001,2024-01-01
D110105000005,刘强,surgeon,H11010500001,2024-01-01
D110105000006,陈静,medical,H11010599999,2024-01-01
D110105000007,杨洋,medical,H11010500001,2024-13-01
D110105000001,王伟,medical,H11010500002,2024-05-01
D110105000001,王伟,medical,H11010500001,2024-06-01
"""


def test_bad_rows_are_reported_by_line_and_good_rows_kept(session, policy):
    institution(session)
    institution(session, "H11010500002")
    report = import_practitioners(session, "importer", CSV.splitlines(keepends=True), policy, TODAY)
    session.commit()
    assert (report.rows, report.practitioners_created, report.registrations_created) == (9, 2, 3)
    assert [(e.line, e.code) for e in report.errors] == [
        (4, "INVALID_CODE"), (5, "INVALID_ROW"), (6, "INVALID_ROW"), (7, "INSTITUTION_NOT_FOUND"),
        (8, "INVALID_DATE"), (10, "ALREADY_REGISTERED")]
    assert "category" in report.errors[2].message
    codes = session.scalars(select(Practitioner.code).order_by(Practitioner.code)).all()
    assert codes == ["D110105000001", "D110105000002"]
    # 多点执业: the known person gained a second registration; the failed row left nothing behind
    assert session.scalar(select(func.count()).select_from(Registration)) == 3
    assert session.scalars(select(Practitioner.status).where(Practitioner.code == "D110105000001")).one() == "normal"


def test_missing_columns_are_reported_once(session, policy):
    report = import_practitioners(session, "importer", ["code,name\n", "D110105000001,王伟\n"], policy, TODAY)
    assert [(e.line, e.code) for e in report.errors] == [(1, "MISSING_COLUMNS")]
    assert report.rows == 0


def test_a_banned_person_cannot_be_re_registered_by_import(session, policy):
    from tests.db.factories import person, record

    institution(session)
    institution(session, "H11010500002")
    person(session, policy)
    record(session, policy, "D110105000001", 12, date(2025, 6, 1), violation="F01")
    lines = ["code,name,category,institution_code,registered_on\n",
             "D110105000001,张三,medical,H11010500002,2025-06-20\n"]
    report = import_practitioners(session, "importer", lines, policy, TODAY)
    assert [(e.line, e.code) for e in report.errors] == [(2, "REGISTRATION_BANNED")]


def test_an_ends_on_column_ends_that_registration_and_empty_leaves_it_open(session, policy):
    from api.db.models import AuditLog

    institution(session)
    institution(session, "H11010500002")
    lines = ["code,name,category,institution_code,registered_on,ends_on\n",
             "D110105000001,王伟,medical,H11010500001,2024-01-01,2025-03-31\n",  # left: 注销
             "D110105000001,王伟,medical,H11010500002,2025-04-01,\n",            # moved there: open
             "D110105000002,李娜,nursing,H11010500001,2024-01-01,2025-06-01\n",
             "D110105000003,刘强,medical,H11010500001,2025-01-01,2024-12-31\n",  # ends before it began
             "D110105000004,陈静,medical,H11010500001,2025-01-01,2025-07-01\n",  # after today (2025-06-30)
             "D110105000005,杨洋,medical,H11010500001,2025-01-01,2025-02-30\n"]
    report = import_practitioners(session, "importer", lines, policy, TODAY, source="staff.csv")
    session.commit()
    assert [(e.line, e.code) for e in report.errors] == [
        (5, "REGISTRATION_END_BEFORE_START"), (6, "REGISTRATION_END_IN_FUTURE"), (7, "INVALID_DATE")]
    rows = session.execute(select(Practitioner.code, Registration.starts_on, Registration.ends_on,
                                  Registration.end_reason, Registration.ended_by).join(Practitioner)
                           .order_by(Practitioner.code, Registration.starts_on)).all()
    assert rows == [("D110105000001", date(2024, 1, 1), date(2025, 3, 31), "imported from staff.csv", "importer"),
                    ("D110105000001", date(2025, 4, 1), None, None, None),
                    ("D110105000002", date(2024, 1, 1), date(2025, 6, 1), "imported from staff.csv", "importer")]
    statuses = dict(session.execute(select(Practitioner.code, Practitioner.status)).all())
    assert statuses == {"D110105000001": "normal", "D110105000002": "unregistered"}
    ends = session.scalars(select(AuditLog.subject).where(AuditLog.action == "registration.end")).all()
    assert sorted(ends) == ["D110105000001", "D110105000002"]
