"""The benchmark: one command, both databases, every measure side by side.

    make bench                      # 1,000,000 practitioners, SQLite and PostgreSQL
    make bench ARGS="--people 100000 --db sqlite --seconds 5"

Builds a database of N practitioners with realistic point records, starts the API (one uvicorn worker) in
its own process, and measures from this process over loopback: (a) a bare FastAPI endpoint returning a
constant, (b) GET /v1/eligibility, (c) 1,000,000 batch lines (10 requests of 100,000), (e) the supervisor's
person page and search, the time for a status change made elsewhere to reach eligibility answers, and (d) the year-rollover, daily-transition and
claim-sweep jobs over everyone.
"""
import argparse
import json
import os
import random
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import httpx
from pydantic_core import from_json, to_json
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from api.auth.service import issue_token
from api.auth.tokens import Role
from api.claims.service import recheck
from api.clock import today_in_china
from api.db.engine import make_engine
from api.db.models import Institution, Practitioner, Registration
from api.ledger import service as ledger
from api.ledger.schemas import PointRecordCreate
from api.ledger.status import refresh_statuses, roll_over_year
from api.policy import load_policy
from bench.build import build, codes_by_status
from bench.load import run_wrk

RESULTS = Path(__file__).parent / "results"
SECRET = "bench-secret-key-of-at-least-32-bytes"
PORT = 8765
PAGE_CONNECTIONS = 10  # people at screens, not machines


def log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", flush=True)


def fresh_database(kind: str, pg_url: str) -> str:
    if kind == "sqlite":
        RESULTS.mkdir(exist_ok=True)
        path = RESULTS / "bench.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    url = make_url(pg_url)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{url.database}"'))
    admin.dispose()
    return url.render_as_string(hide_password=False)


def start_server(url: str) -> subprocess.Popen:
    env = {**os.environ, "POINTS_DATABASE_URL": url, "POINTS_SECRET_KEY": SECRET, "POINTS_DATA_DIR": str(RESULTS)}
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "bench.server:app", "--port", str(PORT),
                               "--log-level", "warning", "--no-access-log"], env=env)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            health = httpx.get(f"http://127.0.0.1:{PORT}/healthz", timeout=2).json()
            if health.get("snapshot"):
                log(f"server up, snapshot of {health['snapshot']['people']:,} people")
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    server.kill()
    raise SystemExit("the server did not come up")


def batch_million(token: str, codes: list[str], in_flight: int) -> dict:
    """1,000,000 lines as 10 requests of 100,000, `in_flight` at a time. The request bodies exist before the
    clock starts (a settlement system has its claim lines already); sending, answering and parsing every
    answer are timed."""
    rnd = random.Random(3)
    bodies = [to_json([{"ref": str(i), "code": rnd.choice(codes), "date": f"2026-{rnd.randint(1, 11):02d}-15",
                        "emergency": False} for i in range(100_000)]) for _ in range(10)]

    def one(body: bytes) -> int:
        with httpx.Client(base_url=f"http://127.0.0.1:{PORT}", headers={"X-API-Key": token}, timeout=120) as c:
            response = c.post("/v1/eligibility/batch", content=body, headers={"Content-Type": "application/json"})
        response.raise_for_status()
        return len(from_json(response.content))

    started = time.perf_counter()
    with ThreadPoolExecutor(in_flight) as pool:
        lines = sum(pool.map(one, bodies))
    return {"lines": lines, "seconds": time.perf_counter() - started, "in_flight": in_flight}


def visibility(engine, policy, token: str) -> float:
    """Seconds from the commit of a suspension made by another process to the API answering it."""
    today = today_in_china()
    with Session(engine) as session:
        code, institution = session.execute(
            select(Practitioner.code, Institution.code).join(Registration, Registration.practitioner_id == Practitioner.id)
            .join(Institution, Institution.id == Registration.institution_id)
            .where(Practitioner.status == "normal").order_by(Practitioner.id.desc())).first()
        ledger.record_points(session, "bench", PointRecordCreate(
            practitioner_code=code, institution_code=institution, violation_code="S01", points=9,
            decision_date=today - timedelta(days=1), case_number="BENCH-VISIBILITY", authority="医保局"),
            policy, today)
        session.commit()
    committed = time.perf_counter()
    with httpx.Client(base_url=f"http://127.0.0.1:{PORT}", headers={"X-API-Key": token}) as client:
        while client.get("/v1/eligibility", params={"code": code, "date": today.isoformat()}).json()["eligible"]:
            if time.perf_counter() - committed > 10:
                return float("inf")
            time.sleep(0.005)
    return time.perf_counter() - committed


def timed(fn) -> tuple[float, dict]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def run_jobs(engine, policy) -> dict:
    today = today_in_china()
    new_year = date(today.year + 1, 1, 1)
    out = {}
    with Session(engine) as session:
        out["year_rollover"] = timed(lambda: roll_over_year(session, policy, new_year,
                                                            datetime.now(timezone.utc)))
        session.commit()
    with Session(engine) as session:
        out["status_transitions"] = timed(lambda: {"changes": refresh_statuses(
            session, policy, new_year + timedelta(days=1), datetime.now(timezone.utc))})
        session.commit()
    with Session(engine) as session:
        out["claims_full_sweep"] = timed(lambda: recheck(session, policy, datetime.now(timezone.utc), full=True))
        session.commit()
    return out


def bench(kind: str, args) -> dict:
    log(f"== {kind}: building {args.people:,} practitioners")
    url = fresh_database(kind, args.pg_url)
    engine, policy = make_engine(url), load_policy()
    built = build(engine, url, policy, args.people, today_in_china(), log=log)
    with Session(engine) as session:
        token = issue_token(session, SECRET.encode(), "bench", Role.SETTLEMENT, "000000", "bench")[0]
        supervisor = issue_token(session, SECRET.encode(), "bench", Role.SUPERVISOR, "000000", "bench")[0]
        session.commit()
    codes = codes_by_status(engine)
    sample = codes["normal"][:8000] + codes["suspended"][:1000] + codes["banned"][:1000]
    paths = [f"/v1/eligibility?code={c}&date=2026-{m:02d}-15" for c in sample for m in (3, 9)]
    server = start_server(url)
    try:
        log("(a) bare endpoint")
        bare = run_wrk(f"http://127.0.0.1:{PORT}/bench/constant", args.connections, args.seconds)
        log("(b) GET /v1/eligibility")
        single = run_wrk(f"http://127.0.0.1:{PORT}/v1/eligibility", args.connections, args.seconds,
                         {"X-API-Key": token}, paths)
        log("(c) 1,000,000 batch lines")
        batch = batch_million(token, sample, 1)
        batch2 = batch_million(token, sample, 2)
        log("(e) pages: a person's page (timeline picture) and a search, signed in as a supervisor")
        pages = {name: run_wrk(f"http://127.0.0.1:{PORT}/ui/people", PAGE_CONNECTIONS, args.seconds,
                               {"Cookie": f"points_session={supervisor}"}, page_paths)
                 for name, page_paths in (
                     ("person", [f"/ui/people/{c}" for c in codes["suspended"][:500] + codes["normal"][:500]]),
                     ("search", [f"/ui/people?q={c[:9]}" for c in codes["normal"][:1000]]))}
        log("status change made by another process -> visible in answers")
        seen = visibility(engine, policy, token)
    finally:
        server.terminate()
        server.wait(30)
    log("(d) jobs over everyone")
    jobs = run_jobs(engine, policy)
    engine.dispose()
    return {"kind": kind, "built": built, "bare": bare, "single": single, "batch": batch, "batch2": batch2,
            "pages": pages, "visible_s": seen,
            "jobs": {k: (round(t, 2), r) for k, (t, r) in jobs.items()}}


def table(results: list[dict], args) -> str:
    rows = [f"Benchmark: {args.people:,} practitioners, one uvicorn worker, wrk -t1 -c{args.connections} "
            f"-d{args.seconds}s over loopback, {os.cpu_count()} cores; {date.today()}", "",
            "| measure | " + " | ".join(r["kind"] for r in results) + " |",
            "| --- |" + " --- |" * len(results)]

    def row(name, fn):
        rows.append(f"| {name} | " + " | ".join(fn(r) for r in results) + " |")

    row("(a) bare endpoint: req/s", lambda r: f"{r['bare']['rps']:,.0f}")
    row("(a) p50 / p99 ms", lambda r: f"{r['bare']['p50_ms']:.2f} / {r['bare']['p99_ms']:.2f}")
    row("(b) GET /v1/eligibility: req/s", lambda r: f"{r['single']['rps']:,.0f}")
    row("(b) p50 / p99 ms", lambda r: f"{r['single']['p50_ms']:.2f} / {r['single']['p99_ms']:.2f}")
    row("(b)/(a) throughput", lambda r: f"{r['single']['rps'] / r['bare']['rps']:.0%}")
    row("(b) non-2xx responses", lambda r: f"{r['single']['non_2xx']}")
    row("(c) 1,000,000 batch lines, 1 request in flight: s", lambda r: f"{r['batch']['seconds']:.2f}")
    row("(c) 1,000,000 batch lines, 2 in flight: s", lambda r: f"{r['batch2']['seconds']:.2f}")
    for name in ("person", "search"):
        row(f"(e) page /ui/{name} ({PAGE_CONNECTIONS} connections): req/s",
            lambda r, n=name: f"{r['pages'][n]['rps']:,.0f}")
        row("(e) p50 / p99 ms", lambda r, n=name: f"{r['pages'][n]['p50_ms']:.1f} / {r['pages'][n]['p99_ms']:.1f}")
    row("status change visible after: s", lambda r: f"{r['visible_s']:.3f}")
    for job in ("year_rollover", "status_transitions", "claims_full_sweep"):
        row(f"(d) {job}: s", lambda r, j=job: f"{r['jobs'][j][0]:.1f}")
    row("database build: s", lambda r: f"{r['built']['seconds']:.0f}")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--seconds", type=int, default=10, help="duration of each HTTP load")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--pg-url", default=os.environ.get(
        "POINTS_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/points_bench"))
    args = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    results = [bench(kind, args) for kind in kinds]
    report = table(results, args)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.md").write_text(report + "\n\n```json\n" + json.dumps(results, indent=1, default=str)
                                       + "\n```\n", encoding="utf-8")
    print("\n" + report)


if __name__ == "__main__":
    main()
