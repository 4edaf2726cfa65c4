"""Build a benchmark database: institutions, practitioners, registrations, point records with the sanctions
and statuses the domain core derives from them, and one submitted claim per practitioner.

Rows are bulk-loaded (COPY on PostgreSQL, executemany on SQLite) after `alembic upgrade head`; the derived
tables come from `points.derive`, exactly as the services would write them."""
import random
import time
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import text
from sqlalchemy.engine import Engine

from api.db.migrate import upgrade
from points import Ledger, PointRecord, Registration, derive
from points.policy import Policy

REGIONS = ("110101 110105 110108 120101 120104 310101 310104 320102 330106 340102 341821 350102 370102 410102 "
           "420102 430102 440103 440106 440304 500103 510104 530102 610102 650102").split()
BAND = {1: "L01", 2: "L02", 3: "L03", 4: "H01", 5: "H02", 6: "H03", 7: "S01", 8: "S02", 9: "S03", 10: "F01",
        11: "F02", 12: "F03"}
NOW = datetime.now(timezone.utc).replace(microsecond=0)
CLAIMS_CLIENT = "000000:bench"  # the settlement client the claims belong to (its token's scope and name)


def _sqlite_value(v):
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(v, date):
        return v.isoformat()
    return v


def load_rows(engine: Engine, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "postgresql":
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" * len(columns))
            cursor.execute("BEGIN")  # the engine's connections run in autocommit (pysqlite recipe)
            cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                               ([_sqlite_value(v) for v in row] for row in rows))
        raw.commit()
    finally:
        raw.close()


def _records(rnd: random.Random, today: date) -> list[tuple[str, int, date]]:
    """A realistic year: most records light; about one in ten people with records reaches 9, a few 12."""
    start, span = date(today.year, 1, 1), (today - date(today.year, 1, 1)).days
    kind = rnd.random()
    if kind < 0.85:
        plan = [rnd.choice([1, 2, 3, 2, 4, 5])]
    elif kind < 0.97:
        plan = [rnd.choice([4, 5, 6]), rnd.choice([4, 5])]  # reaches 9 most of the time
    elif kind < 0.99:
        plan = [5, 4, 3]                                     # suspended, then terminated
    else:
        plan = [12]                                          # one record of 12: 3-year ban
    days = sorted(rnd.randint(0, span) for _ in plan)
    return [(BAND[p], p, start + timedelta(days=d)) for p, d in zip(plan, days)]


def build(engine: Engine, url: str, policy: Policy, people: int, today: date, seed: int = 7,
          with_records: float = 0.06, log=print) -> dict:
    started = time.perf_counter()
    upgrade(url)
    rnd = random.Random(seed)
    institutions = []
    for i in range(2000):
        region = REGIONS[i % len(REGIONS)]
        kind = "hospital" if i % 10 < 7 else "pharmacy"
        institutions.append((i + 1, f"{'H' if kind == 'hospital' else 'P'}{region}{i:05d}", f"机构{i:04d}", kind,
                             region, NOW))
    load_rows(engine, "institution", ("id", "code", "name", "kind", "region", "created_at"), institutions)

    practitioners, registrations, records, sanctions, claims = [], [], [], [], []
    per_region: dict[str, int] = {}
    record_id = sanction_id = registration_id = 0
    for pid in range(1, people + 1):
        inst = institutions[rnd.randrange(len(institutions))]
        region = inst[4]
        per_region[region] = per_region.get(region, 0) + 1
        prefix = "HY" if inst[3] == "pharmacy" else ("D" if rnd.random() < 0.85 else "HJ")
        code = f"{prefix}{region}{per_region[region]:06d}"
        since = date(2018, 1, 1) + timedelta(days=rnd.randint(0, 2500))
        regs = [(inst[0], since)]
        if rnd.random() < 0.08:
            regs.append((institutions[rnd.randrange(len(institutions))][0], since + timedelta(days=rnd.randint(1, 300))))
        ledger_regs = []
        for inst_id, first in regs:
            registration_id += 1
            registrations.append((registration_id, pid, inst_id, first, None, NOW, "bench"))
            ledger_regs.append(Registration(registration_id, str(inst_id), first))
        status, until, tally = "normal", None, 0
        if rnd.random() < with_records:
            own = []
            for violation, points, decided in _records(rnd, today):
                record_id += 1
                own.append(PointRecord(record_id, violation, points, decided))
                records.append((record_id, pid, inst[0], violation, points, "main", decided, f"BENCH-{record_id}",
                                "医保局", region, "bench", NOW))
            timeline = derive(Ledger(code, region, tuple(own), registrations=tuple(ledger_regs)), policy)
            for s in timeline.suspensions:
                sanction_id += 1
                sanctions.append((sanction_id, pid, "suspension", s.year, s.ordinal, s.decided_on, s.trigger_record,
                                  s.starts_on, s.ends_on, s.months, False, False, s.cut_short_by, NOW))
            for n, t in enumerate(timeline.terminations, 1):
                sanction_id += 1
                sanctions.append((sanction_id, pid, "termination", t.year, n, t.decided_on, t.trigger_record,
                                  t.starts_on, t.ban_ends_on, None, False, t.single_record, None, NOW))
            state = timeline.status_on(today)
            status, until, tally = state.status.value, state.until, timeline.tally(today.year)
        practitioners.append((pid, code, f"人员{pid}", "medical" if prefix == "D" else "pharmacy", region, NOW,
                              status, until, 0, 0, tally, today.year, 0))
        claims.append((pid, CLAIMS_CLIENT, f"BENCH-C{pid}", inst[1], code, today - timedelta(days=rnd.randint(1, 300)), False,
                       "100.00", "payable", "ELIGIBLE", NOW, None, NOW, NOW))

    load_rows(engine, "practitioner", ("id", "code", "name", "category", "region", "created_at", "status",
                                       "status_until", "ledger_version", "claims_version", "tally",
                                       "tally_year", "standing_version"), practitioners)
    load_rows(engine, "registration", ("id", "practitioner_id", "institution_id", "starts_on", "ends_on",
                                       "created_at", "created_by"), registrations)
    load_rows(engine, "point_record", ("id", "practitioner_id", "institution_id", "violation_code", "points",
                                       "responsibility", "decision_date", "case_number", "authority",
                                       "authority_region", "recorded_by", "recorded_at"), records)
    load_rows(engine, "sanction", ("id", "practitioner_id", "kind", "year", "ordinal", "decided_on",
                                   "trigger_record_id", "starts_on", "ends_on", "months", "months_decided",
                                   "single_record", "cut_short_by", "updated_at"), sanctions)
    load_rows(engine, "claim", ("id", "client", "ref", "institution_code", "practitioner_code", "service_date", "emergency",
                                "amount", "state", "reason", "submitted_at", "paid_at", "updated_at", "checked_at"),
              claims)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            for table in ("institution", "practitioner", "registration", "point_record", "sanction", "claim"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"))
    with engine.begin() as conn:  # every status above is derived as of today
        conn.execute(text("UPDATE status_clock SET as_of = :today"), {"today": today})
    settle(engine)
    counts = {"practitioners": people, "registrations": len(registrations), "point_records": len(records),
              "sanctions": len(sanctions), "claims": len(claims), "seconds": round(time.perf_counter() - started, 1)}
    log(f"built: {counts}")
    return counts


def settle(engine: Engine) -> None:
    """Leave no background work for the measurements: vacuum, analyze and checkpoint after the bulk load."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
            conn.execute(text("CHECKPOINT"))
    else:
        raw = engine.raw_connection()  # autocommit (pysqlite recipe): PRAGMAs outside any transaction
        try:
            raw.execute("ANALYZE")
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()


def codes_by_status(engine: Engine, limit: int = 20000) -> dict[str, list[str]]:
    with engine.connect() as conn:
        out = {}
        for status in ("normal", "suspended", "banned"):
            out[status] = [r[0] for r in conn.execute(
                text("SELECT code FROM practitioner WHERE status = :s ORDER BY id LIMIT :n"), {"s": status, "n": limit})]
        return out
