"""Imports at scale: the production `points import practitioners` on a file of N new people, and how long another
writer waits meanwhile.

    .venv/bin/python -m bench.imports --rows 1000000 --db sqlite
    .venv/bin/python -m bench.imports --rows 20000 --db postgresql

Builds a fresh database with bench/build.py (2,000 institutions, --people practitioners), writes a CSV of --rows
people not known yet, each registered at an existing institution of their region (one in twenty with an end date,
so both derivations of the bulk path run), then runs `points import practitioners FILE` as a subprocess with
POINTS_DATABASE_URL, as an operator would. Meanwhile a thread of this process makes a small write every 0.2 s
(an audit entry: it takes the same counter lock as every change the API makes, and on SQLite the one writer
lock) and times each from its BEGIN to its commit. Reports rows/s, the total time, the longest wait of that
writer (and its p50 / p99), checks that every row arrived and that the audit chain verifies.
"""
import argparse
import csv
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlmodel import Session

from api import audit as chain
from api.clock import today_in_china
from api.db.engine import make_engine
from api.db.models import Institution, Practitioner
from api.policy import load_policy
from api.settings import Settings
from bench.build import REGIONS, build
from bench.run import RESULTS, log, own_database, service_env

WRITE_EVERY = 0.2  # seconds between the other writer's writes
FIRST_SEQUENCE = 500_000  # new people's codes: above every code bench/build.py makes


def database(kind: str, pg_url: str) -> str:
    return own_database(kind, pg_url, "imports")


def write_file(path: Path, engine, rows: int, today: date, seed: int = 11) -> None:
    """N people not known yet (D + region + sequence from FIRST_SEQUENCE), at institutions of their region."""
    if rows > len(REGIONS) * (999_999 - FIRST_SEQUENCE):
        raise SystemExit(f"at most {len(REGIONS) * (999_999 - FIRST_SEQUENCE):,} rows")
    with Session(engine) as session:
        by_region: dict[str, list[str]] = {}
        for code, region in session.execute(select(Institution.code, Institution.region)):
            by_region.setdefault(region, []).append(code)
    rnd = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(["code", "name", "category", "institution_code", "registered_on", "ends_on"])
        for i in range(rows):
            region = REGIONS[i % len(REGIONS)]
            starts = date(2018, 1, 1) + timedelta(days=rnd.randint(0, 2500))
            ends = starts + timedelta(days=rnd.randint(0, 300)) if rnd.random() < 0.05 else None
            out.writerow([f"D{region}{FIRST_SEQUENCE + i // len(REGIONS):06d}", f"新员工{i}", "medical",
                          rnd.choice(by_region[region]), starts.isoformat(),
                          ends.isoformat() if ends and ends <= today else ""])


class Writer(threading.Thread):
    """Another writer: an audit entry every WRITE_EVERY seconds, each timed from BEGIN to commit."""

    def __init__(self, engine):
        super().__init__(daemon=True)
        self.engine, self.waits, self.failures, self.stop = engine, [], [], threading.Event()

    def run(self) -> None:
        while not self.stop.wait(WRITE_EVERY):
            started = time.perf_counter()
            try:
                with Session(self.engine) as session:
                    chain.audit(session, "bench", "bench.write", "bench", len(self.waits))
                    session.commit()
                self.waits.append(time.perf_counter() - started)
            except Exception as exc:  # a write that failed (database locked, timeout): counted, reported
                self.failures.append(f"{type(exc).__name__}: {str(exc)[:200]}")


def run_import(url: str, path: Path) -> tuple[float, int, list[str]]:
    points = Path(sys.executable).parent / "points"
    started = time.perf_counter()
    proc = subprocess.Popen([str(points), "import", "practitioners", str(path)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env={**os.environ, **service_env(url)})
    lines = []
    for line in proc.stdout:
        lines.append(line.rstrip())
        log(f"  | {line.rstrip()}")
    proc.wait()
    return time.perf_counter() - started, proc.returncode, lines


def bench(kind: str, args) -> dict:
    log(f"== {kind}: building {args.people:,} practitioners")
    url = database(kind, args.pg_url)
    engine, policy, today = make_engine(url), load_policy(), today_in_china()
    build(engine, url, policy, args.people, today, log=log)
    path = RESULTS / f"imports-{kind}-{args.rows}.csv"
    write_file(path, engine, args.rows, today)
    log(f"wrote {args.rows:,} rows to {path} ({path.stat().st_size / 2**20:,.1f} MB)")
    chain.configure(Settings(secret_key=service_env(url)["POINTS_SECRET_KEY"], data_dir=RESULTS))  # the command's key
    writer = Writer(engine)
    writer.start()
    seconds, status, output = run_import(url, path)
    writer.stop.set()
    writer.join()
    with Session(engine) as session:
        imported = session.scalar(select(func.count()).select_from(Practitioner)) - args.people
        verify_started = time.perf_counter()
        verified = chain.verify_chain(session)
        verify_seconds = time.perf_counter() - verify_started
    engine.dispose()
    waits = sorted(writer.waits)
    result = {  # rows/s of the rows that arrived, not of the rows asked
        "kind": kind, "rows": args.rows, "people_before": args.people, "exit_status": status,
        "imported": imported, "seconds": round(seconds, 1), "rows_per_s": round(imported / seconds),
        "writer": {"writes": len(waits), "failed": writer.failures[:5], "failures": len(writer.failures),
                   "max_wait_s": round(waits[-1], 3) if waits else None,
                   "p50_wait_s": round(statistics.median(waits), 4) if waits else None,
                   "p99_wait_s": round(waits[int(len(waits) * 0.99)], 3) if waits else None},
        "audit_chain": {"ok": verified.ok, "entries": verified.entries, "verify_s": round(verify_seconds, 1)},
        "command_output": output[-4:],
    }
    path.unlink()
    log(json.dumps(result, ensure_ascii=False))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="new people in the file")
    parser.add_argument("--people", type=int, default=10_000, help="practitioners in the database beforehand")
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--pg-url", default=os.environ.get(
        "POINTS_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/points_bench"))
    args = parser.parse_args()
    results = [bench(kind, args) for kind in (["sqlite", "postgresql"] if args.db == "both" else [args.db])]
    print(f"\n`points import practitioners`, {args.rows:,} new people into {args.people:,}, "
          f"{os.cpu_count()} cores, {date.today()}; another writer every {WRITE_EVERY} s meanwhile\n")
    print("| database | rows/s | total | writer's longest wait | p50 / p99 | failed writes | exit | chain |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in results:
        w = r["writer"]
        print(f"| {r['kind']} | {r['rows_per_s']:,} | {r['seconds']:,} s | {w['max_wait_s']} s | "
              f"{w['p50_wait_s']} / {w['p99_wait_s']} s | {w['failures']} | {r['exit_status']} | "
              f"{'ok' if r['audit_chain']['ok'] else 'BROKEN'} |")
    out = RESULTS / f"imports-{args.db}-{args.rows}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str))
    failed = [r for r in results if r["exit_status"] != 0 or r["imported"] != r["rows"] or not r["audit_chain"]["ok"]
              or r["writer"]["failures"]]
    if failed:
        raise SystemExit(f"FAIL: {[r['kind'] for r in failed]}")


if __name__ == "__main__":
    main()
