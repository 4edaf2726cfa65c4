"""Imports in chunks: other writers get in between chunks, a failed import resumes without duplicates, new
people go through a bulk path that writes what the services write, files in GB18030, UTF-8 with a BOM or .xlsx,
a dry run, the rejected file and the command's exit codes."""
import csv
import io
import json
import re
import threading
import time
from collections import defaultdict
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import func, select, text
from sqlmodel import Session
from typer.testing import CliRunner

from api.audit import audit, verify_chain
from api.cli import app
from api.db.models import AuditLog, Claim, Institution, Practitioner, Registration, StatusEvent
from api.practitioners import importer
from api.practitioners.importer import csv_table, import_practitioners, import_table, open_table
from tests.conftest import TODAY, wipe
from tests.db.factories import HOSPITAL, TIANJIN_HOSPITAL, institution, person

HEADER = "code,name,category,institution_code,registered_on,ends_on\n"
SECOND = "H11010500002"
ID_NUMBER = "110105199001011234"

# Every kind of row: new people (open, ended, starting later), a new person's second registration and an
# identical repeat of a row, a known person (a new registration, a row already present, one with another name),
# and rows rejected for each reason, in the order the services check them.
ROWS = f"""D110105000050,王伟,medical,{HOSPITAL},2024-01-01,
D110105000051,李娜,nursing,{HOSPITAL},2024-01-01,2025-02-01
D110105000052,刘强,护理类,{HOSPITAL},2025-09-01,
D110105000050,王伟,medical,{SECOND},2024-05-01,
D110105000050,王伟,medical,{HOSPITAL},2024-01-01,
D110105000050,王伟,medical,{HOSPITAL},2024-06-01,
d110105000053,陈静 {ID_NUMBER},pharmacy,{HOSPITAL.lower()},2023-03-01,2024-03-01
D110105000001,张三,medical,{SECOND},2025-01-01,
D110105000001,张三,medical,{HOSPITAL},2020-01-01,
D110105000001,张三丰,medical,{HOSPITAL},2021-01-01,
D120101000001,赵敏,medical,{TIANJIN_HOSPITAL},2022-01-01,
D110105000054,杨洋,medical,H11010599999,2024-01-01,
D110105000054,杨洋,medical,{HOSPITAL},2024-02-01,
X110105000055,坏前缀,medical,{HOSPITAL},2024-01-01,
D110105000056,,medical,{HOSPITAL},2024-01-01,
D110105000057,{"长" * 101},medical,{HOSPITAL},2024-01-01,
D110105000058,吴杰,surgeon,{HOSPITAL},2024-01-01,
D110105000059,周敏,medical,H1101050001,2024-01-01,
D110105000060,郑华,medical,{HOSPITAL},2024-13-01,
D110105000061,孙丽,medical,{HOSPITAL},2025-01-01,2024-12-31
D110105000062,钱进,medical,{HOSPITAL},2025-01-01,2025-07-01
D110105000063,冯雪,medical
D110105000064,褚明,medical,{HOSPITAL},2024-01-01,2025-06-30
"""
EXPECTED_ERRORS = [(7, "ALREADY_REGISTERED"), (11, "ALREADY_REGISTERED"), (13, "INSTITUTION_NOT_FOUND"),
                   (15, "INVALID_CODE"), (16, "INVALID_ROW"), (17, "INVALID_ROW"), (18, "INVALID_ROW"),
                   (19, "INVALID_CODE"), (20, "INVALID_DATE"), (21, "REGISTRATION_END_BEFORE_START"),
                   (22, "REGISTRATION_END_IN_FUTURE"), (23, "MISSING_COLUMNS")]


def lines(text_: str = ROWS) -> list[str]:
    return (HEADER + text_).splitlines(keepends=True)


def new_rows(n: int, start: int = 100, at: str = HOSPITAL) -> str:
    return "".join(f"D110105{start + i:06d},员工{i},medical,{at},2024-01-01,\n" for i in range(n))


def setting_up(engine, policy) -> None:
    """Three institutions, one known person, and claims held for two people not known yet."""
    from api.auth.tokens import Principal, Role
    from api.claims.schemas import ClaimIn
    from api.claims.service import submit

    wipe(engine)
    settlement = Principal("t-settle", Role.SETTLEMENT, "110000", "settlement",
                           datetime(2099, 1, 1, tzinfo=timezone.utc))
    with Session(engine) as session:
        for code in (HOSPITAL, SECOND, TIANJIN_HOSPITAL):
            institution(session, code)
        person(session, policy)
        submit(session, settlement, [
            ClaimIn(ref=f"C{code}", institution_code=HOSPITAL, practitioner_code=code, service_date=date(2025, 3, 1),
                    amount="10.00") for code in ("D110105000050", "D110105000051")], policy, TODAY,
               datetime.now(timezone.utc))
        session.commit()


def run(engine, policy, rows=None, **options):
    with Session(engine, expire_on_commit=False) as session:
        return import_practitioners(session, "importer", rows or lines(), policy, TODAY, source="staff.csv",
                                    **{"pause": 0, **options})


def state(engine) -> dict:
    """Everything an import writes, without ids, times and counter values (which depend on the order)."""
    with Session(engine) as s:
        registrations = s.execute(select(Registration.id, Practitioner.code, Institution.code, Registration.starts_on,
                                         Registration.ends_on, Registration.created_by, Registration.ended_by,
                                         Registration.end_reason)
                                  .join(Practitioner, Practitioner.id == Registration.practitioner_id)
                                  .join(Institution, Institution.id == Registration.institution_id)).all()
        key = {r.id: f"{r[1]}@{r[2]}/{r[3]}" for r in registrations}

        def named(value: str) -> str:
            return re.sub(r"registration (\d+)", lambda m: f"registration {key[int(m[1])]}", value)

        history = defaultdict(list)
        moved = defaultdict(list)
        for entry in s.scalars(select(AuditLog).order_by(AuditLog.seq)):
            if entry.action == "claims.reevaluate":
                for state_, refs in json.loads(entry.detail).items():
                    moved[state_] += refs
            elif entry.subject:
                entity_id = key[int(entry.entity_id)] if entry.entity == "registration" else entry.entity_id
                history[entry.subject].append((entry.actor, entry.action, entity_id, named(entry.reason),
                                               entry.detail))
        return {
            "people": s.execute(select(Practitioner.code, Practitioner.name, Practitioner.category,
                                       Practitioner.region, Practitioner.status, Practitioner.status_until,
                                       Practitioner.tally, Practitioner.tally_year, Practitioner.ledger_version,
                                       Practitioner.claims_version).order_by(Practitioner.code)).all(),
            "registrations": sorted(tuple(r[1:]) for r in registrations),
            "events": sorted((tuple(sorted({**e.model_dump(exclude={"id", "seq", "created_at", "fanned_out_at"}),
                                            "cause": named(e.cause)}.items()))
                             for e in s.scalars(select(StatusEvent))), key=repr),
            "history": dict(history),
            "claims moved": {k: sorted(v) for k, v in moved.items()},
            "claims": s.execute(select(Claim.ref, Claim.state, Claim.reason).order_by(Claim.ref)).all(),
            "standings": s.scalar(text("SELECT value FROM change_counter WHERE name = 'standing'")),
            "stamped": s.scalar(select(func.count(func.distinct(Practitioner.standing_version)))
                                .where(Practitioner.standing_version > 0)),
        }


def errors(report) -> list[tuple]:
    return [(e.line, e.code, e.message) for e in report.errors]


# --- the bulk path writes what the services write -------------------------------------------------------------

def test_new_people_in_bulk_end_as_the_services_leave_them_in_one_chunk_or_many(committed_engine, policy):
    setting_up(committed_engine, policy)
    one_by_one = run(committed_engine, policy, bulk=False)
    reference = state(committed_engine)
    assert [(line, code) for line, code, _ in errors(one_by_one)] == EXPECTED_ERRORS
    assert (one_by_one.rows, one_by_one.practitioners_created, one_by_one.registrations_created,
            one_by_one.already_present) == (23, 7, 9, 2)
    for options in ({}, {"max_chunk": 4}):
        setting_up(committed_engine, policy)
        report = run(committed_engine, policy, **options)
        assert errors(report) == errors(one_by_one)
        assert (report.practitioners_created, report.registrations_created, report.already_present) == (7, 9, 2)
        assert state(committed_engine) == reference, options
        with Session(committed_engine) as session:
            assert verify_chain(session).ok
    # what the reference holds is right in itself
    people = {p.code: p for p in reference["people"]}
    assert people["D110105000050"].status == "normal" and people["D110105000051"].status == "unregistered"
    assert people["D110105000052"].status == "unregistered" and people["D110105000052"].category == "nursing"
    assert people["D110105000053"].name == "陈静 110105***********4" and people["D110105000053"].ledger_version == 2
    assert people["D110105000054"].ledger_version == 1  # its first row was rejected, its second created it
    ended = [dict(e) for e in reference["events"] if dict(e)["practitioner_code"] == "D110105000051"]
    assert {(e["previous_status"], e["status"], e["until"], e["effective_on"], e["cause"]) for e in ended} == {
        ("unregistered", "normal", None, TODAY, "registration"),
        ("normal", "unregistered", None, TODAY, f"registration D110105000051@{HOSPITAL}/2024-01-01 ended")}
    assert reference["claims moved"] == {"payable": ["CD110105000050", "CD110105000051"],
                                         "blocked": ["CD110105000051"]}
    assert [a[1] for a in reference["history"]["D110105000051"]] == [
        "practitioner.create", "practitioner.status", "registration.create", "practitioner.status",
        "registration.end"]


# --- chunks ------------------------------------------------------------------------------------------------------

def test_chunks_commit_one_by_one_and_another_writer_gets_in_between(committed_engine, policy):
    wipe(committed_engine)
    with Session(committed_engine) as session:
        institution(session)
        session.commit()
    seen = []

    def between(report):
        """Runs between two chunks: another connection sees the chunk and writes at once."""
        with Session(committed_engine) as other:
            if committed_engine.dialect.name == "postgresql":  # fail rather than wait for this very thread
                other.execute(text("SET LOCAL lock_timeout = '2s'"))
            seen.append(other.scalar(select(func.count()).select_from(Practitioner)))
            audit(other, "someone", "test.write", "test", report.chunks)
            other.commit()

    report = run(committed_engine, policy, lines(new_rows(120)), max_chunk=25, on_chunk=between)
    assert report.registrations_created == 120 and report.chunks >= 5
    assert seen == sorted(seen) and seen[0] <= 25 and seen[-1] == 120 and len(set(seen)) == report.chunks
    with Session(committed_engine) as session:
        entries = session.scalars(select(AuditLog.action).order_by(AuditLog.seq)).all()
        assert entries.count("test.write") == report.chunks == entries.count("import.practitioners")
        assert verify_chain(session).ok


def test_a_writer_gets_in_while_an_import_of_many_chunks_runs_in_a_thread(committed_engine, policy):
    wipe(committed_engine)
    with Session(committed_engine) as session:
        institution(session)
        session.commit()
    done = []
    worker = threading.Thread(target=lambda: done.append(run(
        committed_engine, policy, lines(new_rows(300)), max_chunk=10, pause=None)))  # the production pause
    worker.start()
    try:
        with Session(committed_engine) as session:
            while not session.scalar(select(func.count()).select_from(Practitioner)):
                session.rollback()
                time.sleep(0.01)
            institution(session, SECOND)  # a write of the service's own kind, with its usual waits
            session.commit()
            written_while_running = worker.is_alive()
            imported_by_then = session.scalar(select(func.count()).select_from(Practitioner))
    finally:
        worker.join(120)
    assert written_while_running and 0 < imported_by_then < 300
    assert done[0].registrations_created == 300


def test_a_failure_midway_leaves_whole_chunks_and_a_rerun_ends_as_a_clean_import(committed_engine, policy,
                                                                                 monkeypatch):
    setting_up(committed_engine, policy)
    run(committed_engine, policy, bulk=False)
    clean = state(committed_engine)

    setting_up(committed_engine, policy)
    original, calls = importer._insert_new, []

    def failing(*args, **kwargs):
        calls.append(1)
        original(*args, **kwargs)
        if len(calls) == 3:
            raise RuntimeError("the process dies here")

    monkeypatch.setattr(importer, "_insert_new", failing)
    with pytest.raises(RuntimeError):
        run(committed_engine, policy, max_chunk=3)
    monkeypatch.undo()
    with Session(committed_engine) as session:
        chunks = [json.loads(d) for d in session.scalars(
            select(AuditLog.detail).where(AuditLog.action == "import.practitioners"))]
        people = session.scalar(select(func.count()).select_from(Practitioner))
        registrations = session.scalar(select(func.count()).select_from(Registration))
        assert verify_chain(session).ok
    # each chunk committed whole, with its entry; the failed one left nothing
    assert chunks and people == 1 + sum(c["practitioners_created"] for c in chunks)
    assert registrations == 1 + sum(c["registrations_created"] for c in chunks)
    assert 1 < people < len(clean["people"])

    rerun = run(committed_engine, policy)
    assert rerun.already_present == 2 + registrations - 1  # the rows present from the start, and those imported
    assert [(line, code) for line, code, _ in errors(rerun)] == EXPECTED_ERRORS
    assert state(committed_engine) == clean
    with Session(committed_engine) as session:
        assert verify_chain(session).ok


def test_running_a_file_again_finds_every_row_present(session, policy):
    institution(session)
    session.commit()
    first = import_practitioners(session, "importer", lines(new_rows(30)), policy, TODAY, pause=0, max_chunk=7)
    again = import_practitioners(session, "importer", lines(new_rows(30)), policy, TODAY, pause=0)
    assert (first.registrations_created, first.chunks) == (30, 5)
    assert (again.rows, again.already_present, again.registrations_created, again.exit_code) == (30, 30, 0, 0)
    assert session.scalar(select(func.count()).select_from(Registration)) == 30


def test_a_corrected_name_or_category_does_not_make_a_present_registration_new(session, policy):
    """A known person's name and category are not changed by an import: a rerun of a file whose row was corrected
    there (or in the rejected file) finds the registration present instead of adding an ended one again."""
    institution(session)
    session.commit()
    ended = f"D110105000100,员工0,medical,{HOSPITAL},2024-01-01,2024-06-30\n"
    import_practitioners(session, "importer", lines(ended), policy, TODAY, pause=0)
    for corrected in (ended.replace("员工0", "员工〇"), ended.replace("medical", "nursing")):
        again = import_practitioners(session, "importer", lines(corrected), policy, TODAY, pause=0)
        assert (again.already_present, again.registrations_created, again.exit_code) == (1, 0, 0)
    assert session.scalar(select(func.count()).select_from(Registration)) == 1


def test_a_dry_run_checks_every_row_and_writes_nothing(committed_engine, policy):
    setting_up(committed_engine, policy)
    before = state(committed_engine)
    with Session(committed_engine) as session:
        entries = session.scalar(select(func.count()).select_from(AuditLog))
    for options in ({}, {"max_chunk": 3}, {"chunk_seconds": 0}):  # one chunk, small ones, a row of a known person each
        report = run(committed_engine, policy, dry_run=True, **options)
        # as the import would: each chunk is rolled back, yet a person's later rows see their earlier ones
        assert [(line, code) for line, code, _ in errors(report)] == EXPECTED_ERRORS, options
        assert (report.practitioners_created, report.registrations_created, report.already_present) == (7, 9, 2)
        assert report.exit_code == 1
    assert report.chunks == 6  # the last run: one for the new people, then one for each row of a known person
    assert state(committed_engine) == before
    with Session(committed_engine) as session:
        assert session.scalar(select(func.count()).select_from(AuditLog)) == entries


def test_a_row_short_of_columns_names_them(session, policy):
    institution(session)
    report = import_practitioners(session, "importer", lines("D110105000001,王伟,medical\n"
                                                             f"D110105000002,李娜,medical,{HOSPITAL}\n"), policy, TODAY)
    assert errors(report) == [(2, "MISSING_COLUMNS", "missing columns: institution_code, registered_on"),
                              (3, "MISSING_COLUMNS", "missing columns: registered_on")]
    header = import_practitioners(session, "importer", ["code,name,category\n", "D110105000001,王伟,medical\n"],
                                  policy, TODAY)
    assert errors(header) == [(1, "MISSING_COLUMNS", "missing columns: institution_code, registered_on")]
    assert header.exit_code == 2


# --- files ---------------------------------------------------------------------------------------------------------

CHINESE = f"编码,姓名,类别,机构编码,登记日期,终止日期\nD110105000070,王伟,医疗类,{HOSPITAL},2024-01-01,\n" \
          f"D110105000071,李娜,护理类,{HOSPITAL},2024-01-01,2025-01-31\n"


@pytest.mark.parametrize("encoding,expected", [("gb18030", "gb18030"), ("gbk", "gb18030"),
                                               ("utf-8-sig", "utf-8-sig"), ("utf-8", "utf-8")])
def test_csv_in_gb18030_or_utf8_with_or_without_bom(session, policy, tmp_path, encoding, expected):
    institution(session)
    path = tmp_path / "staff.csv"
    path.write_bytes(CHINESE.encode(encoding))
    with open_table(path) as table:
        assert table.encoding == expected and table.total == 2
        report = import_table(session, "importer", table, policy, TODAY)
    assert (report.registrations_created, report.rejected) == (2, 0)
    names = session.execute(select(Practitioner.code, Practitioner.name, Practitioner.category)
                            .order_by(Practitioner.code)).all()
    assert names == [("D110105000070", "王伟", "medical"), ("D110105000071", "李娜", "nursing")]


def test_an_xlsx_workbook_is_read_from_its_first_sheet(session, policy, tmp_path):
    from openpyxl import Workbook

    institution(session)
    book = Workbook()
    sheet = book.active
    sheet.append(["编码", "姓名", "类别", "机构编码", "登记日期", "终止日期"])
    sheet.append(["D110105000080", "王伟", "医疗类", HOSPITAL, datetime(2024, 1, 1), None])  # a date cell
    sheet.append(["D110105000081", "李娜", "nursing", HOSPITAL, "2024-02-01", "2025-01-31"])  # text cells
    sheet.append([None, None, None, None, None, None])                                      # an empty row
    sheet.append(["D110105000082", "刘强", "medical", HOSPITAL, datetime(2024, 3, 1, 9, 30), None])
    book.create_sheet("其他").append(["not", "read"])
    book.save(tmp_path / "staff.xlsx")
    with open_table(tmp_path / "staff.xlsx") as table:
        report = import_table(session, "importer", table, policy, TODAY, source="staff.xlsx")
    assert (report.rows, report.registrations_created) == (3, 2)
    assert [(e.line, e.code) for e in report.errors] == [(5, "INVALID_DATE")]  # a time is not a date
    rows = session.execute(select(Practitioner.code, Practitioner.category, Registration.starts_on,
                                  Registration.ends_on).select_from(Registration)
                           .join(Practitioner, Practitioner.id == Registration.practitioner_id)
                           .order_by(Practitioner.code)).all()
    assert rows == [("D110105000080", "medical", date(2024, 1, 1), None),
                    ("D110105000081", "nursing", date(2024, 2, 1), date(2025, 1, 31))]


# --- the command ---------------------------------------------------------------------------------------------------

@pytest.fixture
def command(committed_engine, policy, monkeypatch, tmp_path, audit_settings):
    """`points` in this process (typer's runner) on the committed database, with a head file of its own."""
    from api import audit as chain

    wipe(committed_engine)
    with Session(committed_engine) as session:
        institution(session)
        session.commit()
    monkeypatch.setattr("api.db.engine.default_engine", lambda: committed_engine)
    monkeypatch.setitem(chain._config, "settings", audit_settings.model_copy(update={"data_dir": tmp_path}))

    def invoke(*args):
        return CliRunner().invoke(app, [str(a) for a in args])

    return invoke


def test_exit_codes_0_1_and_2(command, committed_engine, tmp_path):
    staff = tmp_path / "staff.csv"
    staff.write_text(HEADER + new_rows(3), encoding="utf-8")
    first = command("import", "practitioners", staff)
    assert first.exit_code == 0, first.output
    assert "3 practitioners and 3 registrations created, 0 already present, 0 rows rejected" in first.output
    assert "rows/s" in first.output
    again = command("import", "practitioners", staff)
    assert again.exit_code == 0 and "3 already present, 0 rows rejected" in again.output

    some = tmp_path / "some.csv"
    some.write_text(HEADER + new_rows(2, start=200) + f"D110105000300,坏,medical,{HOSPITAL},2024-02-30,\n",
                    encoding="utf-8")
    result = command("import", "practitioners", some)
    assert result.exit_code == 1 and "line 4 INVALID_DATE" in result.output

    none = tmp_path / "none.csv"
    none.write_text(HEADER + f"D110105000301,坏,medical,{HOSPITAL},2024-02-30,\nX1,坏,medical,{HOSPITAL},2024-01-01,\n",
                    encoding="utf-8")
    assert command("import", "practitioners", none).exit_code == 2
    header = tmp_path / "header.csv"
    header.write_text("code;name;category\n")
    result = command("import", "practitioners", header)
    assert result.exit_code == 2 and "missing columns: code, name, category" in result.output
    unreadable = tmp_path / "unreadable.csv"
    unreadable.write_bytes(HEADER.encode() + b"D110105000302,\xff\xfe\x80,medical\n")
    result = command("import", "practitioners", unreadable)
    assert result.exit_code == 2 and "UNKNOWN_ENCODING" in result.output
    wrong = command("import", "practitioners", staff, "--encoding", "no-such-encoding")
    assert wrong.exit_code == 2 and "UNKNOWN_ENCODING" in wrong.output
    with Session(committed_engine) as session:
        assert session.scalar(select(func.count()).select_from(Practitioner)) == 5
    assert command("audit", "verify").exit_code == 0
    help_text = " ".join(command("import", "practitioners", "--help").output.split())
    assert "Exit status: 0 every row imported" in help_text and "--dry-run" in help_text and "--encoding" in help_text


def test_a_database_that_is_down_ends_the_command_with_2_and_no_traceback(command, monkeypatch, tmp_path):
    from api.db.engine import make_engine

    down = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    monkeypatch.setattr("api.db.engine.default_engine", lambda: down)
    staff = tmp_path / "staff.csv"
    staff.write_text(HEADER + new_rows(3), encoding="utf-8")
    result = command("import", "practitioners", staff)
    assert result.exit_code == 2 and "DATABASE_UNAVAILABLE" in result.output and "Traceback" not in result.output
    assert "0 registrations were committed before; run the same file again to resume" in result.output


def test_the_rejected_rows_go_beside_the_file_to_be_corrected_and_imported_again(command, committed_engine,
                                                                                tmp_path):
    staff = tmp_path / "staff.csv"
    text_ = ("编码,姓名,类别,机构编码,登记日期,备注\n"
            f"D110105000400,王伟,医疗类,{HOSPITAL},2024-01-01,新入职\n"
            f"D110105000401,李娜 {ID_NUMBER},医疗类,{HOSPITAL},2024-02-30,\n"
            f"D110105000402,刘强,医疗类,H11010599999,2024-01-01,调入\n")
    staff.write_text(text_, encoding="gb18030")
    dry = command("import", "practitioners", staff, "--dry-run")
    assert dry.exit_code == 1 and "would be created" in dry.output
    with Session(committed_engine) as session:
        assert session.scalar(select(func.count()).select_from(Practitioner)) == 0
    result = command("import", "practitioners", staff)
    assert result.exit_code == 1, result.output
    rejected = tmp_path / "staff.rejected.csv"
    assert rejected.read_bytes().startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM: Excel reads the Chinese right
    rows = list(csv.reader(io.StringIO(rejected.read_text(encoding="utf-8-sig"))))
    assert rows == [["编码", "姓名", "类别", "机构编码", "登记日期", "备注", "error"],
                    ["D110105000401", "李娜 110105***********4", "医疗类", HOSPITAL, "2024-02-30", "",
                     "INVALID_DATE: registered_on: '2024-02-30' is not a date (YYYY-MM-DD)"],
                    ["D110105000402", "刘强", "医疗类", "H11010599999", "2024-01-01", "调入",
                     "INSTITUTION_NOT_FOUND: no institution H11010599999"]]
    # the clerk corrects the two rows in the rejected file and imports it as it is (the error column is ignored)
    rows[1][4], rows[2][3] = "2024-02-28", HOSPITAL
    with rejected.open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows(rows)
    fixed = command("import", "practitioners", rejected)
    assert fixed.exit_code == 0, fixed.output
    assert not (tmp_path / "staff.rejected.rejected.csv").exists()
    staff.write_text(text_.replace("2024-02-30", "2024-02-28").replace("H11010599999", HOSPITAL), encoding="gb18030")
    again = command("import", "practitioners", staff)  # the file itself corrected: all three are there now
    assert again.exit_code == 0 and "3 already present" in again.output
    assert not rejected.exists()  # the last run rejected nothing: no stale file left
    with Session(committed_engine) as session:
        assert session.scalar(select(func.count()).select_from(Registration)) == 3
        assert session.scalar(select(Practitioner.name).where(Practitioner.code == "D110105000401")) == \
            "李娜 110105***********4"


def test_csv_table_reads_quoted_cells_and_keeps_line_numbers():
    table = csv_table(['code,name\n', '"D1","王,伟"\n', '\n', 'D2,李\n'])
    assert table.header == ["code", "name"] and list(table.rows) == [(2, ["D1", "王,伟"]), (4, ["D2", "李"])]
