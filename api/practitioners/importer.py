"""Import practitioners and their registrations from CSV.

Columns: code,name,category,institution_code,registered_on (YYYY-MM-DD). Each row runs in its own SAVEPOINT:
a bad row is rolled back alone and reported with its line number; good rows are kept. A known practitioner
with a new institution gains a registration (多点执业).
"""
import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

from pydantic import ValidationError
from sqlmodel import Session, SQLModel

from api.audit import audit
from api.db.models import FreeText, PractitionerCreate, StaffCategory
from api.errors import NotFound
from api.ledger.schemas import RegistrationCreate
from api.ledger.service import get_practitioner, register
from api.practitioners.service import create_practitioner
from points import Policy
from points.errors import DomainError
from points.privacy import mask_id_numbers

COLUMNS = ("code", "name", "category", "institution_code", "registered_on")


class ImportRow(SQLModel):
    code: str
    name: FreeText
    category: StaffCategory
    institution_code: str
    registered_on: date


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


def _import_row(session: Session, actor: str, row: ImportRow, policy: Policy, today: date) -> bool:
    """Returns True when the practitioner was new."""
    try:
        get_practitioner(session, row.code)
        created = False
    except NotFound:
        create_practitioner(session, actor, PractitionerCreate(code=row.code, name=row.name,
                                                                category=row.category), policy)
        created = True
    register(session, actor, RegistrationCreate(practitioner_code=row.code, institution_code=row.institution_code,
                                                starts_on=row.registered_on), policy, today)
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
            row = ImportRow.model_validate({k: (raw.get(k) or "").strip() for k in COLUMNS})
            with session.begin_nested():
                created = _import_row(session, actor, row, policy, today)
            report.practitioners_created += created
            report.registrations_created += 1
        except ValidationError as exc:
            report.errors.append(RowError(line, "INVALID_ROW", _describe(exc)))
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
