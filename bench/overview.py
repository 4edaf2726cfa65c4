"""The region overview and the 待办 page at scale: each of their queries timed for the national scope and one
province, then GET each page through `points serve` (median of 3, after one to warm).

    .venv/bin/python -m bench.overview                      # 1,000,000 practitioners, SQLite
    .venv/bin/python -m bench.overview --people 100000      # quicker, while developing
    .venv/bin/python -m bench.overview --db postgresql      # POINTS_BENCH_PG_URL, database <name>_overview_N

Builds bench/results/overview-N.db (or the PostgreSQL database) with bench/build.py, or reuses it when it
exists (upgraded to the latest migration; --fresh builds it again), and adds open objections to one record in 20 (bench/build.py files none),
filed over the last 200 days. Each query runs once to warm the cache, then REPEAT times: the median is printed.
"""
import argparse
import json
import os
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from api.auth.service import issue_token
from api.auth.tokens import Principal, Role
from api.clock import today_in_china
from api.db.engine import make_engine
from api.db.migrate import upgrade
from api.policy import load_policy
from api.supervision import overview, todo
from bench.build import build, load_rows, settle
from bench.run import RESULTS, SECRET, fresh_database, log, page_session, start_server

SCOPES = ("000000", "110000")  # national, and Beijing (3 of bench/build.py's 24 regions)
REPEAT = 5


def database(kind: str, people: int, fresh: bool, pg_url: str) -> tuple[str, bool]:
    """The database's URL and whether it must be built: overview-N.db, or the PostgreSQL database <name>_overview_N."""
    if kind == "postgresql":
        url = make_url(pg_url)
        url = url.set(database=f"{url.database}_overview_{people}")
        admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": url.database}).first()
        admin.dispose()
        if fresh or not exists:
            return fresh_database(kind, url.render_as_string(hide_password=False)), True
        return url.render_as_string(hide_password=False), False
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"overview-{people}.db"
    if fresh:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}", not path.exists()


def add_objections(engine, today) -> int:
    """Open objections to one record in 20, filed over the last 200 days (once: kept in the database)."""
    with engine.connect() as conn:
        if conn.execute(text("SELECT COUNT(*) FROM objection")).scalar():
            return 0
        records = conn.execute(text("SELECT id, practitioner_id FROM point_record WHERE id % 20 = 0")).all()
    rnd, now = random.Random(11), datetime.combine(today, datetime.min.time(), UTC)
    rows = [(i + 1, rid, pid, "bench", "open", now - timedelta(days=rnd.randint(0, 200), hours=rnd.randint(0, 23)))
            for i, (rid, pid) in enumerate(records)]
    load_rows(engine, "objection", ("id", "record_id", "practitioner_id", "reason", "state", "filed_at"), rows)
    if engine.dialect.name == "postgresql":  # the next objection filed gets the next id
        with engine.begin() as conn:
            conn.execute(text("SELECT setval(pg_get_serial_sequence('objection', 'id'), "
                              "(SELECT COALESCE(MAX(id), 1) FROM objection))"))
    settle(engine)
    return len(rows)


def supervisor(scope: str) -> Principal:
    return Principal("bench", Role.SUPERVISOR, scope, "bench", datetime.now(UTC) + timedelta(days=1))


def queries(session: Session, who: Principal, today) -> dict:
    return {
        "statuses": lambda: overview.statuses(session, who),
        "upcoming": lambda: overview.upcoming(session, who, today),
        "ahead (first 20)": lambda: overview.ahead(session, who, today),
        "records by month, type, institution": lambda: overview.records_this_year(session, who, today),
        "objections by age": lambda: todo.objection_ages(session, who, today),
        "to-do counts (header)": lambda: todo.todo_counts(session, who, today),
        "undecided suspensions": lambda: todo.undecided_suspensions(session, who, today),
        "open objections": lambda: todo.open_objections(session, who, today),
    }


def time_queries(engine, today) -> dict:
    out = {}
    for scope in SCOPES:
        with Session(engine) as session:
            timings = {}
            for name, run in queries(session, supervisor(scope), today).items():
                run()
                samples = []
                for _ in range(REPEAT):
                    started = time.perf_counter()
                    run()
                    samples.append(time.perf_counter() - started)
                timings[name] = statistics.median(samples) * 1000
            timings["overview page, all queries"] = sum(
                v for k, v in timings.items() if k not in ("to-do counts (header)", "undecided suspensions",
                                                           "open objections"))
            out[scope] = timings
            log(f"  {scope}: " + ", ".join(f"{k} {v:.1f} ms" for k, v in timings.items()))
    return out


def time_pages(url: str, engine) -> dict:
    with Session(engine) as session:
        tokens = {scope: issue_token(session, SECRET.encode(), f"bench {scope}", Role.SUPERVISOR, scope, "bench")[0]
                  for scope in SCOPES}
        session.commit()
    server = start_server(url)
    out = {}
    try:
        for scope, token in tokens.items():
            cookie = page_session(server.base, token, "/ui/todo")
            with httpx.Client(base_url=server.base, headers={"Cookie": cookie}, timeout=120) as client:
                for path in ("/ui/overview", "/ui/todo"):
                    client.get(path)  # warm
                    samples = []
                    for _ in range(3):
                        started = time.perf_counter()
                        answer = client.get(path)
                        samples.append(time.perf_counter() - started)
                        if answer.status_code != 200 or (path == "/ui/overview" and "<svg" not in answer.text):
                            raise SystemExit(f"FAIL: {path} for {scope} answered {answer.status_code}")
                    out[f"{scope} {path}"] = statistics.median(samples) * 1000
                    log(f"  GET {path} as {scope}: median of 3 {out[f'{scope} {path}']:.0f} ms, "
                        f"{len(answer.content):,} bytes")
    finally:
        server.stop()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--fresh", action="store_true", help="build the database again even if it exists")
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--pg-url", default=os.environ.get(
        "POINTS_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/points_bench"))
    args = parser.parse_args()
    url, new = database(args.db, args.people, args.fresh, args.pg_url)
    engine, today = make_engine(url), today_in_china()
    if new:
        log(f"building {args.people:,} practitioners")
        build(engine, url, load_policy(), args.people, today, log=log)
    else:
        log(f"reusing {url}")
        upgrade(url)
        settle(engine)
    log(f"objections added: {add_objections(engine, today)}")
    with engine.connect() as conn:
        sizes = {t: conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar()
                 for t in ("practitioner", "point_record", "sanction", "objection")}
    log(f"rows: {sizes}")
    log("queries (median of 5, ms)")
    result = {"db": args.db, "people": args.people, "rows": sizes, "queries_ms": time_queries(engine, today)}
    log("pages through `points serve` (one worker)")
    result["pages_ms"] = time_pages(url, engine)
    engine.dispose()
    (RESULTS / f"overview-{args.db}-{args.people}.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
