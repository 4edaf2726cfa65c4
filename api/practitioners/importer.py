"""Import practitioners and their registrations from CSV.

Columns: code,name,category,institution_code,registered_on (YYYY-MM-DD), and optionally ends_on (the last
registered day, ending that registration: 注销; empty = open). Each row runs in its own SAVEPOINT: a bad row is
rolled back alone and reported with its line number; good rows are kept. A known practitioner with a new
institution gains a registration (多点执业).
"""
import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

from pydantic import ValidationError
from sqlmodel import Session, SQLModel

from api.audit import audit
from api.dates import Day, date_error
from api.db.models import FreeText, PractitionerCreate, StaffCategory
from api.errors import NotFound
from api.ledger.schemas import RegistrationCreate, RegistrationEnd
from api.ledger.service import end_registration, get_practitioner, register
from api.practitioners.service import create_practitioner
from points import Policy
from points.errors import DomainError
from points.privacy import mask_id_numbers

COLUMNS = ("code", "name", "category", "institution_code", "registered_on")
OPTIONAL = ("ends_on",)


class ImportRow(SQLModel):
    code: str
    name: FreeText
    category: StaffCategory
    institution_code: str
    registered_on: Day
    ends_on: Day | None = None


@dataclass
class RowError:
    line: int
    code: str
    message: str


@dataclass
class ImportReport:
    rows: int = 0
    practitioners_created: int = 0
    registrations_created: int = 0
    errors: list[RowError] = field(default_factory=list)


def _describe(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())


def _import_row(session: Session, actor: str, row: ImportRow, policy: Policy, today: date, source: str) -> bool:
    """Returns True when the practitioner was new."""
    try:
        get_practitioner(session, row.code)
        created = False
    except NotFound:
        create_practitioner(session, actor, PractitionerCreate(code=row.code, name=row.name,
                                                                category=row.category), policy)
        created = True
    registration = register(session, actor, RegistrationCreate(
        practitioner_code=row.code, institution_code=row.institution_code, starts_on=row.registered_on), policy, today)
    if row.ends_on is not None:
        end_registration(session, actor, registration.id, RegistrationEnd(
            ends_on=row.ends_on, reason=f"imported from {source or 'CSV'}"), policy, today)
    return created


def import_practitioners(session: Session, actor: str, lines: Iterable[str], policy: Policy, today: date,
                         on_row: Callable[[], None] = lambda: None, source: str = "") -> ImportReport:
    """Each created person and registration is audited by its service; the import itself is audited too
    (`source`: the file's name), with its counts and rejected lines."""
    report, actor = ImportReport(), mask_id_numbers(actor)  # the actor is stored with every row
    reader = csv.DictReader(lines)
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        report.errors.append(RowError(1, "MISSING_COLUMNS", f"missing columns: {', '.join(missing)}"))
        return _audited(session, actor, source, report)
    for raw in reader:
        report.rows += 1
        line = reader.line_num
        try:
            values = {k: (raw.get(k) or "").strip() for k in COLUMNS + OPTIONAL}
            row = ImportRow.model_validate({k: v for k, v in values.items() if v or k in COLUMNS})
            with session.begin_nested():
                created = _import_row(session, actor, row, policy, today, source)
            report.practitioners_created += created
            report.registrations_created += 1
        except ValidationError as exc:  # a row whose only fault is a date: INVALID_DATE / DATE_OUT_OF_RANGE
            bad_date = date_error(exc.errors())
            report.errors.append(RowError(line, bad_date[0] if bad_date else "INVALID_ROW", _describe(exc)))
        except DomainError as exc:
            report.errors.append(RowError(line, exc.code, exc.message))
        finally:
            on_row()
    return _audited(session, actor, source, report)


def _audited(session: Session, actor: str, source: str, report: ImportReport) -> ImportReport:
    audit(session, actor, "import.practitioners", "import", source or "-", detail={
        "rows": report.rows, "practitioners_created": report.practitioners_created,
        "registrations_created": report.registrations_created,
        "rejected_lines": [e.line for e in report.errors][:1000]})
    return report
