"""Import practitioners and their registrations from CSV or Excel (.xlsx).

Columns: code,name,category,institution_code,registered_on (YYYY-MM-DD), and optionally ends_on (the last
registered day, ending that registration: 注销; empty = open); Chinese headers (编码,姓名,类别,机构编码,登记日期,
终止日期) and category names (医疗类, 药学类, ...) are read as well. A known practitioner with a new institution
gains a registration (多点执业).

Rows are committed in chunks, each one transaction of at most about `CHUNK_SECONDS`, so other writers wait for a
chunk, never for the file. A chunk is all or nothing: a process killed mid-chunk leaves the chunks before it,
whole, and nothing of that one. Running the same file again resumes it: a row already imported identically (same
person, name, category, institution, first and last day) is counted as already present, not imported twice and
not an error. Within a chunk each row of a known person runs in its own SAVEPOINT through the ledger services (a
bad row is rolled back alone and reported with its line number); rows of people not yet known are checked in
memory and written together (`_insert_new`): the same rows, status events, standing and audit entries the
services would write, in a few statements.
"""
import codecs
import csv
import json
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy import Text, cast, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel

from api.audit import audit, audit_all
from api.claims.service import reevaluate
from api.clock import utcnow
from api.dates import Day, date_error
from api.db.models import (
    ChangeCounter,
    FreeText,
    Institution,
    Practitioner,
    PractitionerCreate,
    Registration,
    StaffCategory,
)
from api.eligibility.versions import CHANNEL, STANDING, STANDING_CHANGED, next_value
from api.errors import NotFound
from api.ledger import changes as changes_of
from api.ledger.repository import chunks
from api.ledger.schemas import RegistrationCreate, RegistrationEnd
from api.ledger.service import end_registration, get_practitioner, register
from api.ledger.status import apply_status
from api.practitioners.service import create_practitioner
from api.webhooks.outbox import EventSink
from points import Ledger, Policy, derive
from points import Registration as LedgerRegistration
from points.checks import check_registration_end
from points.codes import check_person_code_shape, parse_institution_code, parse_person_code
from points.errors import DomainError
from points.privacy import mask_id_numbers

COLUMNS = ("code", "name", "category", "institution_code", "registered_on")
OPTIONAL = ("ends_on",)
HEADERS_ZH = {  # Chinese headers, as the pages label these columns, and the usual variants
    "编码": "code", "人员编码": "code", "人员代码": "code", "医保相关人员代码": "code",
    "姓名": "name",
    "类别": "category", "人员类别": "category",
    "机构编码": "institution_code", "机构代码": "institution_code", "定点医药机构代码": "institution_code",
    "登记日期": "registered_on", "登记备案日期": "registered_on",
    "终止日期": "ends_on", "注销日期": "ends_on", "最后登记日": "ends_on",
}
CATEGORIES_ZH = {"医疗类": "medical", "药学类": "pharmacy", "护理类": "nursing", "技术类": "technical",
                 "医保结算审核": "settlement_review", "药店主要负责人": "pharmacy_principal"}

CHUNK_SECONDS = 0.4   # the longest a chunk's transaction should last (other writers wait at most this long)
SQLITE_PAUSE = 0.1    # SQLite: between chunks, long enough for a waiting writer's busy handler (it retries
                      # every 100 ms at most) to take the lock before the next chunk does
FIRST_CHUNK = 100     # rows; later chunks are sized from the rate measured so far
BULK_BATCH = 100      # new people written together; a chunk past its time stops between two batches
MAX_CHUNK = 5000
KEPT_ERRORS = 10_000  # errors kept in the report (all of them go to the rejected file)


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
    already_present: int = 0
    rejected: int = 0
    errors: list[RowError] = field(default_factory=list)  # the first KEPT_ERRORS, by line
    unreadable: bool = False  # the header (or the file) was refused: nothing was read
    chunks: int = 0
    seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        """0: every row imported or already present; 1: some rejected, the others imported; 2: nothing imported
        (every row rejected, or the file refused)."""
        if self.unreadable or (self.rows and self.rejected == self.rows):
            return 2
        return 1 if self.rejected else 0


class ImportFileError(Exception):
    """The file cannot be read as a table (encoding, format): nothing is imported."""

    def __init__(self, message: str, code: str = "UNREADABLE_FILE"):
        super().__init__(message)
        self.code, self.message = code, message


# --- Reading ------------------------------------------------------------------------------------------------

@dataclass
class Table:
    """The header as written and the rows as (line or sheet row number, cells)."""

    header: list[str]
    rows: Iterable[tuple[int, list[str]]]
    encoding: str = "utf-8"
    total: int | None = None  # rows expected (lines after the header), for progress


def csv_table(lines: Iterable[str], encoding: str = "utf-8", total: int | None = None) -> Table:
    reader = csv.reader(lines)
    header = next(reader, [])

    def rows() -> Iterator[tuple[int, list[str]]]:
        for cells in reader:
            if cells:  # not a blank line
                yield reader.line_num, cells

    return Table(header, rows(), encoding, total)


def detect_encoding(path: Path) -> tuple[str, int]:
    """(encoding, lines): UTF-8 with a BOM, UTF-8, else GB18030 (which reads GBK and GB2312: Excel's CSV in
    China). Reads the whole file once, so a file that is neither is refused before anything is imported."""
    with path.open("rb") as f:
        bom = f.read(3) == codecs.BOM_UTF8
    for encoding in (["utf-8-sig"] if bom else ["utf-8", "gb18030"]):
        try:
            return encoding, _check_decodes(path, encoding)
        except ImportFileError:
            continue
    raise ImportFileError(f"{path.name} is neither UTF-8 nor GB18030 text; name its encoding with --encoding",
                          "UNKNOWN_ENCODING")


def _check_decodes(path: Path, encoding: str) -> int:
    """The file's lines (the last one counted without its newline too); raises ImportFileError where it does not
    decode."""
    decoder, lines, offset, last = codecs.getincrementaldecoder(encoding)(), 0, 0, b"\n"
    with path.open("rb") as f:
        try:
            while block := f.read(1 << 20):
                decoder.decode(block)
                lines += block.count(b"\n")
                offset, last = offset + len(block), block[-1:]
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            raise ImportFileError(f"{path.name} is not valid {encoding}: bytes {offset + exc.start}–"
                                  f"{offset + exc.end} cannot be read ({exc.reason})", "UNKNOWN_ENCODING") from None
    return lines + (last != b"\n")


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@contextmanager
def open_table(path: Path, encoding: str | None = None) -> Iterator[Table]:
    """The file as a Table: an Excel workbook (.xlsx: its first sheet, the first row the header) or CSV text in
    `encoding` (default: detected). Raises ImportFileError when it cannot be read."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        try:
            book = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # not a zip, not a workbook: openpyxl raises several kinds
            raise ImportFileError(f"{path.name} cannot be read as an Excel workbook ({exc})") from None
        try:
            sheet = book.worksheets[0]
            rows = sheet.iter_rows(values_only=True)
            header = [_cell(v) for v in next(rows, ())]
            total = sheet.max_row - 1 if sheet.max_row else None
            yield Table(header, ((n, [_cell(v) for v in values]) for n, values in enumerate(rows, 2)), "xlsx", total)
        finally:
            book.close()
        return
    if path.suffix.lower() == ".xls":
        raise ImportFileError(f"{path.name}: the old Excel format (.xls) is not read; save it as .xlsx or CSV")
    if encoding:
        try:
            encoding = codecs.lookup(encoding).name
        except LookupError:
            raise ImportFileError(f"unknown encoding {encoding!r}", "UNKNOWN_ENCODING") from None
        lines = _check_decodes(path, encoding)
    else:
        encoding, lines = detect_encoding(path)
    with path.open(encoding=encoding, newline="") as f:
        yield csv_table(f, encoding, max(lines - 1, 0))


def rejected_path(path: Path) -> Path:
    """`staff.csv` (or `staff.xlsx`) -> `staff.rejected.csv`, beside it."""
    return path.with_name(f"{path.stem}.rejected.csv")


class RejectedFile:
    """The rejected rows as read, plus an `error` column (`CODE: message`): UTF-8 with a BOM, so spreadsheet
    programs read the Chinese right, to be corrected and imported again. Made at the first rejected row; one
    left by an earlier run is removed at the start, so the file always belongs to the last run."""

    def __init__(self, path: Path, header: list[str]):
        self.path, self.header, self.rows, self._file, self._writer = path, header, 0, None, None
        path.unlink(missing_ok=True)

    def write(self, cells: list[str], error: RowError) -> None:
        if self._writer is None:
            self._file = self.path.open("w", encoding="utf-8-sig", newline="")
            self._writer = csv.writer(self._file)
            self._writer.writerow([mask_id_numbers(h) for h in self.header] + ["error"])
        cells = [mask_id_numbers(c) for c in cells] + [""] * (len(self.header) - len(cells))
        self._writer.writerow(cells + [f"{error.code}: {error.message}"])
        self.rows += 1

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


# --- Rows ---------------------------------------------------------------------------------------------------

def _describe(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())


def _row_error(line: int, exc: Exception) -> RowError:
    if isinstance(exc, ValidationError):  # a row whose only fault is a date: INVALID_DATE / DATE_OUT_OF_RANGE
        bad_date = date_error(exc.errors())
        return RowError(line, bad_date[0] if bad_date else "INVALID_ROW", mask_id_numbers(_describe(exc)))
    return RowError(line, exc.code, exc.message)


def _columns(header: list[str]) -> dict[str, int]:
    """Column name -> index; English names in any case, or the Chinese ones. The first of a repeated one."""
    found: dict[str, int] = {}
    for i, name in enumerate(header):
        name = (name or "").strip().lstrip("\ufeff").strip()
        key = HEADERS_ZH.get(name, name.lower())
        if key in COLUMNS + OPTIONAL:
            found.setdefault(key, i)
    return found


@dataclass(eq=False)
class _Item:
    """One row on its way: validated, then found already present, rejected, imported in bulk or one by one."""

    line: int
    cells: list[str]
    row: ImportRow | None = None
    code: str = ""                    # the person's code, normalised
    institution: str | None = None    # the institution's code, normalised (None: not a valid code)
    region: str = ""
    name: str = ""                    # as a new person would be stored
    end_reason: str = ""
    error: RowError | None = None      # rejected whoever the person is
    new_error: RowError | None = None  # rejected if the person is new, before the institution is looked up
    end_error: RowError | None = None  # ... after it
    outcome: str = ""                  # present | created | registered ("": not settled, or rejected)
    replayed: bool = False             # a dry run's row of an earlier chunk, written again for this one


def _prepare(line: int, cells: list[str], columns: dict[str, int], policy: Policy, today: date,
             end_reason: str) -> _Item:
    """Every check that needs no database, in the order the services make them (so the first fault reported is
    the one the one-by-one path would report)."""
    item = _Item(line, cells)
    absent = [c for c in COLUMNS if columns[c] >= len(cells)]
    if absent:
        item.error = RowError(line, "MISSING_COLUMNS", f"missing columns: {', '.join(absent)}")
        return item
    values = {k: cells[i].strip() for k, i in columns.items() if i < len(cells)}
    values = {k: v for k, v in values.items() if v or k in COLUMNS}
    values["category"] = CATEGORIES_ZH.get(values["category"], values["category"])
    try:
        row = item.row = ImportRow.model_validate(values)
        item.code = check_person_code_shape(row.code)
    except (ValidationError, DomainError) as exc:
        item.error = _row_error(line, exc)
        return item
    try:
        item.institution = parse_institution_code(row.institution_code)
    except DomainError:
        pass
    try:  # as create_practitioner and register would check a new person
        item.name = PractitionerCreate(code=row.code, name=row.name, category=row.category).name
        item.region = parse_person_code(row.code, policy.person_prefixes).region
        RegistrationCreate(practitioner_code=row.code, institution_code=row.institution_code,
                           starts_on=row.registered_on)
        parse_institution_code(row.institution_code)
    except (ValidationError, DomainError) as exc:
        item.new_error = _row_error(line, exc)
    if row.ends_on is not None:
        try:  # as end_registration would
            item.end_reason = RegistrationEnd(ends_on=row.ends_on, reason=end_reason).reason
            check_registration_end(row.registered_on, row.ends_on, today)
        except (ValidationError, DomainError) as exc:
            item.end_error = _row_error(line, exc)
    return item


def _import_row(session: Session, actor: str, row: ImportRow, policy: Policy, today: date, source: str) -> bool:
    """The one-by-one path, through the services. Returns True when the practitioner was new."""
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


def _same_registration(item: _Item):
    row = item.row
    return (Practitioner.code == item.code, Institution.code == item.institution,
            Registration.starts_on == row.registered_on,
            Registration.ends_on.is_(None) if row.ends_on is None else Registration.ends_on == row.ends_on)


def _present(session: Session, item: _Item) -> bool:
    """The row's registration exists already (a known person's name and category are not changed by an import, so
    they do not decide it: a rerun of a corrected file adds nothing twice)."""
    if item.institution is None:
        return False
    return session.scalar(select(Registration.id).join(Practitioner, Practitioner.id == Registration.practitioner_id)
                          .join(Institution, Institution.id == Registration.institution_id)
                          .where(*_same_registration(item)).limit(1)) is not None


def _known(session: Session, codes: list[str]) -> tuple[dict[str, tuple], set[tuple]]:
    """The people among `codes` already stored: code -> (id, name, category); and their registrations as
    (code, institution, starts_on, ends_on)."""
    people, registrations = {}, set()
    for part in chunks(codes):
        for pid, code, name, category in session.execute(select(
                Practitioner.id, Practitioner.code, Practitioner.name, Practitioner.category)
                .where(Practitioner.code.in_(part))):
            people[code] = (pid, name, category)
    by_id = {v[0]: code for code, v in people.items()}
    for part in chunks(list(by_id)):
        for pid, institution, starts_on, ends_on in session.execute(select(
                Registration.practitioner_id, Institution.code, Registration.starts_on, Registration.ends_on)
                .join(Institution, Institution.id == Registration.institution_id)
                .where(Registration.practitioner_id.in_(part))):
            registrations.add((by_id[pid], institution, starts_on, ends_on))
    return people, registrations


# --- New people in bulk -------------------------------------------------------------------------------------

@dataclass
class _NewPerson:
    """What apply_status reads and writes of a practitioner, for one not yet stored (the table's defaults)."""

    code: str
    region: str
    status: str = "unregistered"
    status_until: date | None = None
    tally: int = 0
    tally_year: int | None = None
    id: int | None = None


ENDED = "\x00ended"  # stands for `registration {id} ended` until the id is known


class _Deferred:
    """An event sink that keeps the events until the registrations' ids are known."""

    def __init__(self):
        self.events: list[tuple[tuple, dict]] = []

    def emit(self, *args, **kwargs) -> None:
        self.events.append((args, kwargs))


def _take_standing(session: Session, n: int) -> list[int]:
    """n consecutive values of the standing counter, in one statement (announced once on PostgreSQL)."""
    returning = [ChangeCounter.value]
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        returning.append(func.pg_notify(CHANNEL, cast(ChangeCounter.value, Text)))
    last = session.execute(update(ChangeCounter).where(ChangeCounter.name == STANDING)
                           .values(value=ChangeCounter.value + n).returning(*returning)).scalar()
    if last is None:  # no counter row: one at a time, which recreates it
        return [next_value(session, STANDING, Practitioner.standing_version, notify=CHANNEL) for _ in range(n)]
    return list(range(last - n + 1, last + 1))


def _insert_new(session: Session, actor: str, items: list[_Item], institutions: dict[str, int], policy: Policy,
                today: date) -> None:
    """Create these people (new, every check passed) and their registrations as create_practitioner, register
    and end_registration would, one after the other: the same rows, statuses, status events (the first through
    `registration`, an end's through `registration N ended`), standing stamps (one at creation, one per
    re-derivation), claims re-checked, and audit entries, written with a statement per table instead of several
    per row."""
    now, deferred = utcnow(), _Deferred()
    plans = []
    for item in items:
        row, person = item.row, _NewPerson(item.code, item.region)
        registration = LedgerRegistration(0, item.institution, row.registered_on, recorded_at=now)
        before = changes_of.standing(person)
        first = derive(Ledger(item.code, item.region, registrations=(registration,)), policy)
        apply_status(person, first, today, "registration", deferred)
        opened = changes_of.standing(person)
        second = closed = None
        if row.ends_on is not None:
            second = derive(Ledger(item.code, item.region, registrations=(
                replace(registration, ends_on=row.ends_on, end_recorded_at=now),)), policy)
            apply_status(person, second, today, ENDED, deferred)
            closed = changes_of.standing(person)
        plans.append((item, person, first, second, before, opened, closed))
    stamps = iter(_take_standing(session, sum(2 + (p[3] is not None) for p in plans)))
    changed = session.info.setdefault(STANDING_CHANGED, {})
    values = []
    for item, person, first, second, *_ in plans:
        versions = 1 + (second is not None)
        standing = [next(stamps) for _ in range(1 + versions)][-1]  # created, then each re-derivation
        changed[item.code] = standing
        values.append({"code": item.code, "name": item.name, "category": item.row.category.value,
                       "region": item.region, "created_at": now, "status": person.status,
                       "status_until": person.status_until, "ledger_version": versions,
                       "claims_version": versions, "tally": person.tally, "tally_year": person.tally_year,
                       "standing_version": standing})
    people = Practitioner.__table__
    ids = session.execute(insert(people).returning(people.c.id, sort_by_parameter_order=True), values).scalars().all()
    table = Registration.__table__
    registrations = [{"practitioner_id": pid, "institution_id": institutions[item.institution],
                      "starts_on": item.row.registered_on, "ends_on": item.row.ends_on, "created_at": now,
                      "created_by": actor, "ended_at": now if item.row.ends_on else None,
                      "ended_by": actor if item.row.ends_on else None,
                      "end_reason": item.end_reason if item.row.ends_on else None}
                     for pid, item in zip(ids, items, strict=True)]
    registration_ids = session.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True),
                                       registrations).scalars().all()
    ended_cause = {}
    for (item, *_), registration_id in zip(plans, registration_ids, strict=True):
        ended_cause[item.code] = f"registration {registration_id} ended"
    sink = EventSink(session, now, plain=True)
    for args, kwargs in deferred.events:
        code = args[0] if args else kwargs.get("code")
        sink.emit(*(ended_cause[code] if a is ENDED else a for a in args),
                  **{k: ended_cause[code] if v is ENDED else v for k, v in kwargs.items()})
    sink.write()
    reevaluate(session, policy, {p[0].code: p[2].standing for p in plans}, now, actor)
    ended = {p[0].code: p[3].standing for p in plans if p[3] is not None}
    if ended:
        reevaluate(session, policy, ended, now, actor)
    entries = []
    for (item, person, first, second, before, opened, closed), registration_id in zip(plans, registration_ids):
        row, code = item.row, item.code
        entries.append(dict(actor=actor, action="practitioner.create", entity="practitioner", entity_id=code,
                            subject=code, at=now, detail={"category": row.category, "after": {
                                "category": row.category, "region": item.region}}))
        if before != opened:
            entries.append(dict(actor=actor, action="practitioner.status", entity="practitioner", entity_id=code,
                                reason="registration", detail={"before": before, "after": opened}, subject=code,
                                at=now))
        entries.append(dict(actor=actor, action="registration.create", entity="registration",
                            entity_id=registration_id, subject=code, at=now, detail={
                                "practitioner": code, "institution": item.institution, "starts_on": row.registered_on,
                                "after": {"institution": item.institution, "starts_on": row.registered_on}}))
        if second is not None:
            if opened != closed:
                entries.append(dict(actor=actor, action="practitioner.status", entity="practitioner",
                                    entity_id=code, reason=ended_cause[code], subject=code, at=now,
                                    detail={"before": opened, "after": closed}))
            entries.append(dict(actor=actor, action="registration.end", entity="registration",
                                entity_id=registration_id, reason=item.end_reason, subject=code, at=now, detail={
                                    "practitioner": code, "institution": item.institution,
                                    "starts_on": row.registered_on, "before": {"ends_on": None},
                                    "after": {"ends_on": row.ends_on}}))
    audit_all(session, entries, plain=True)


# --- Chunks -------------------------------------------------------------------------------------------------

class _Institutions(dict):
    """Code -> id of the institutions seen so far (one that is missing is looked for again in each chunk)."""

    def look_up(self, session: Session, codes: set[str]) -> None:
        missing = sorted(c for c in codes if c not in self)
        for part in chunks(missing):
            self.update(session.execute(select(Institution.code, Institution.id).where(Institution.code.in_(part)))
                        .all())


def _chunk(session: Session, actor: str, items: list[_Item], institutions: _Institutions, policy: Policy,
           today: date, source: str, deadline: float, bulk: bool) -> list[_Item]:
    """Settle `items` in the session's transaction; returns those left for the next chunk (not reached before
    `deadline`: new people past a batch, rows of known people past a row)."""
    live = [i for i in items if i.error is None]
    people, registrations = _known(session, sorted({i.code for i in live}))
    institutions.look_up(session, {i.institution for i in live if i.institution})
    new, careful, claimed = [], [], set()
    for item in live:
        row, known = item.row, people.get(item.code)
        if known is not None:
            if (item.code, item.institution, row.registered_on, row.ends_on) in registrations:
                item.outcome = "present"
            else:
                careful.append(item)
        elif item.code in claimed or not bulk:
            careful.append(item)  # a second row of a person new in this chunk: after the first is written
        else:
            not_found = None if item.institution in institutions else RowError(
                item.line, "INSTITUTION_NOT_FOUND", f"no institution {row.institution_code}")
            item.error = item.new_error or not_found or item.end_error
            if item.error is None:
                new.append(item)
                claimed.add(item.code)
    # Known people first locked in id order, before the counters are taken (as every ledger change does: the
    # person, then the counters), so that a request changing one of them cannot deadlock with this chunk.
    ids = sorted({people[i.code][0] for i in careful if i.code in people})
    for part in chunks(ids):
        session.execute(select(Practitioner.id).where(Practitioner.id.in_(part)).with_for_update()).all()
    progressed = False  # at least one row of this chunk's own (not a dry run's replayed one) is settled
    for start in range(0, len(new), BULK_BATCH):
        if progressed and time.perf_counter() > deadline:  # out of time: these and the rows after them wait
            return sorted(new[start:] + careful, key=lambda i: i.line)
        part = new[start:start + BULK_BATCH]
        try:
            with session.begin_nested():
                _insert_new(session, actor, part, institutions, policy, today)
            for item in part:
                item.outcome = "created"
        except IntegrityError:  # someone created one of them meanwhile (PostgreSQL): one by one instead
            careful = sorted(careful + part, key=lambda i: i.line)
        progressed = progressed or any(not i.replayed for i in part)
    for n, item in enumerate(careful):
        if progressed and time.perf_counter() > deadline:
            return careful[n:]
        progressed = progressed or not item.replayed
        if _present(session, item):
            item.outcome = "present"
            continue
        try:
            with session.begin_nested():
                item.outcome = "created" if _import_row(session, actor, item.row, policy, today, source) \
                    else "registered"
        except (ValidationError, DomainError) as exc:
            item.error = _row_error(item.line, exc)
    return []


def _audited(session: Session, actor: str, source: str, done: list[_Item], missing: RowError | None = None) -> None:
    """The chunk's entry (or the refused file's): its lines, counts and rejected lines."""
    audit(session, actor, "import.practitioners", "import", source or "-", detail={
        "lines": [done[0].line, done[-1].line] if done else [],
        "rows": len(done), "practitioners_created": sum(i.outcome == "created" for i in done),
        "registrations_created": sum(i.outcome in ("created", "registered") for i in done),
        "already_present": sum(i.outcome == "present" for i in done),
        "rejected_lines": [missing.line] if missing else [i.line for i in done if i.error][:1000]})


class _Accepted:
    """A dry run's rows accepted so far. Each chunk of a dry run is rolled back, so a later row of the same person
    would be checked against a database without them; the rows are kept (in a temporary file, not in memory) and
    written again, uncounted, before the rows of their people in a later chunk: the dry run then accepts and
    refuses exactly what the import would."""

    def __init__(self):
        self._dir = tempfile.TemporaryDirectory(prefix="points-dry-run-")
        self._db = sqlite3.connect(Path(self._dir.name) / "accepted.db")
        self._db.execute("CREATE TABLE accepted (code TEXT, line INTEGER, cells TEXT)")
        self._db.execute("CREATE INDEX ix_accepted ON accepted (code, line)")

    def keep(self, items: list[_Item]) -> None:
        self._db.executemany("INSERT INTO accepted VALUES (?, ?, ?)", [
            (i.code, i.line, json.dumps(i.cells, ensure_ascii=False)) for i in items
            if i.outcome in ("created", "registered")])

    def of(self, codes: list[str]) -> list[tuple[int, list[str]]]:
        """The rows kept for these people, in file order."""
        found = []
        for part in chunks(codes):
            found += self._db.execute(f"SELECT line, cells FROM accepted WHERE code IN ({','.join('?' * len(part))})",
                                      part).fetchall()
        return [(line, json.loads(cells)) for line, cells in sorted(found)]

    def close(self) -> None:
        self._db.close()
        self._dir.cleanup()


def import_table(session: Session, actor: str, table: Table, policy: Policy, today: date, *, source: str = "",
                 dry_run: bool = False, bulk: bool = True, chunk_seconds: float = CHUNK_SECONDS,
                 max_chunk: int = MAX_CHUNK, pause: float | None = None,
                 on_row: Callable[[], None] = lambda: None,
                 on_chunk: Callable[[ImportReport], None] = lambda report: None,
                 on_rejected: Callable[[list[str], RowError], None] = lambda cells, error: None) -> ImportReport:
    """Import `table` a chunk at a time: each chunk is committed (rolled back in a dry run) before the next is
    read, together with an `import.practitioners` audit entry for it (`source`: the file's name, its counts and
    rejected lines). Whatever the session holds when called is committed with the first chunk. `bulk`: False
    sends new people through the services one by one too (the reference the bulk path is tested against)."""
    report, actor, started = ImportReport(), mask_id_numbers(actor), time.perf_counter()
    columns = _columns(table.header)
    missing = [c for c in COLUMNS if c not in columns]
    if missing:
        report.unreadable = True
        report.errors.append(RowError(1, "MISSING_COLUMNS", f"missing columns: {', '.join(missing)}"))
        if not dry_run:
            _audited(session, actor, source, [], report.errors[0])
            session.commit()
        return report
    if pause is None:
        pause = SQLITE_PAUSE if session.get_bind().dialect.name == "sqlite" else 0.0
    end_reason, institutions = f"imported from {source or 'CSV'}", _Institutions()
    rows, pending, size, more = iter(table.rows), [], min(FIRST_CHUNK, max_chunk), True
    accepted = _Accepted() if dry_run else None
    try:
        while True:
            while more and len(pending) < size:
                line_cells = next(rows, None)
                if line_cells is None:
                    more = False
                elif any(c and c.strip() for c in line_cells[1]):  # a blank line or an empty sheet row is skipped
                    report.rows += 1
                    pending.append(_prepare(*line_cells, columns, policy, today, end_reason))
            if not pending:
                break
            chunk_started = time.perf_counter()
            try:
                again = []
                if accepted is not None:
                    again = [replace(_prepare(*row, columns, policy, today, end_reason), replayed=True)
                             for row in accepted.of(sorted({i.code for i in pending if i.error is None}))]
                left = [i for i in _chunk(session, actor, again + pending, institutions, policy, today, source,
                                          chunk_started + chunk_seconds, bulk) if not i.replayed]
                carried = {id(i) for i in left}
                done = [i for i in pending if id(i) not in carried]
                if accepted is not None:
                    session.rollback()
                    accepted.keep(done)
                else:
                    _audited(session, actor, source, done)
                    session.commit()
            except BaseException:
                session.rollback()
                raise
            finally:
                for key in (changes_of.NOTED, STANDING_CHANGED):  # noted per transaction: not kept across chunks
                    session.info.pop(key, None)
            elapsed = time.perf_counter() - chunk_started
            for item in done:
                if item.error:
                    report.rejected += 1
                    if len(report.errors) < KEPT_ERRORS:
                        report.errors.append(item.error)
                    on_rejected(item.cells, item.error)
                else:
                    report.already_present += item.outcome == "present"
                    report.practitioners_created += item.outcome == "created"
                    report.registrations_created += item.outcome in ("created", "registered")
                on_row()
            report.chunks += 1
            report.seconds = time.perf_counter() - started
            on_chunk(report)
            size = max(min(10, max_chunk), min(max_chunk, int(len(done) / max(elapsed, 1e-3) * chunk_seconds)))
            pending = left
            if (pending or more) and pause:
                time.sleep(pause)  # let a writer that waited for this chunk in before the next one
    finally:
        if accepted is not None:
            accepted.close()
    report.errors.sort(key=lambda e: e.line)
    report.seconds = time.perf_counter() - started
    return report


def import_practitioners(session: Session, actor: str, lines: Iterable[str], policy: Policy, today: date,
                         on_row: Callable[[], None] = lambda: None, source: str = "", **options) -> ImportReport:
    """CSV text lines (header first); see `import_table` for the options."""
    return import_table(session, actor, csv_table(lines), policy, today, source=source, on_row=on_row, **options)
