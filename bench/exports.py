"""Exports and lists at scale: the CSV export, a walk through one institution's staff, and eligibility latency
while three exports run.

    .venv/bin/python -m bench.exports                      # 500,000 staff at one institution, SQLite
    .venv/bin/python -m bench.exports --people 100000 --db postgresql

Builds the database with bench/build.py, then registers everyone at one institution (so its staff list holds
them all), serves it with `points serve --workers 1` in its own process (bench/run.py), and measures from here over
loopback: (1) the export of everyone (time, size, the server's memory before and at its peak), (2) the staff
walk, 1,000 a page, following `next_cursor` (time, pages, p50/p99 per page), (3) GET /v1/eligibility latency
from one sequential client, alone and then while three exports (curl processes) run without pause.
"""
import argparse
import json
import os
import random
import statistics
import subprocess
import threading
import time
from pathlib import Path

import httpx
from sqlalchemy import select, text
from sqlmodel import Session

from api.auth.service import issue_token
from api.auth.tokens import Role
from api.clock import today_in_china
from api.db.engine import make_engine
from api.db.models import Institution
from api.policy import load_policy
from bench.build import build, codes_by_status, settle
from bench.run import PORT, RESULTS, SECRET, log, own_database, start_server

BASE = f"http://127.0.0.1:{PORT}"


def database(kind: str, pg_url: str) -> str:
    return own_database(kind, pg_url, "exports")


def one_institution(engine) -> str:
    """Everyone registered at institution 1: its staff list is the whole database."""
    with engine.begin() as conn:
        conn.execute(text("UPDATE registration SET institution_id = 1"))
    settle(engine)
    with Session(engine) as session:
        return session.scalars(select(Institution.code).where(Institution.id == 1)).one()


class MemoryWatch:
    """The server's resident memory, sampled every 20 ms."""

    def __init__(self, pid: int):
        self.path, self.peak, self.stop = Path(f"/proc/{pid}/status"), 0, threading.Event()

    def rss(self) -> int:
        line = next(x for x in self.path.read_text().splitlines() if x.startswith("VmRSS:"))
        return int(line.split()[1]) * 1024

    def __enter__(self):
        self.before = self.peak = self.rss()
        threading.Thread(target=self._run, daemon=True).start()
        return self

    def _run(self):
        while not self.stop.wait(0.02):
            self.peak = max(self.peak, self.rss())

    def __exit__(self, *exc):
        self.stop.set()


def export_once(token: str) -> dict:
    started, size, lines = time.perf_counter(), 0, 0
    first_byte = None
    with httpx.stream("GET", f"{BASE}/v1/practitioners/export.csv", headers={"X-API-Key": token},
                      timeout=600) as response:
        response.raise_for_status()
        for chunk in response.iter_bytes():
            first_byte = first_byte or time.perf_counter() - started
            size += len(chunk)
            lines += chunk.count(b"\n")
    return {"seconds": time.perf_counter() - started, "first_byte_s": first_byte, "bytes": size, "rows": lines - 1}


def staff_walk(token: str, institution: str) -> dict:
    pages, rows, cursor = [], 0, None
    started = time.perf_counter()
    with httpx.Client(base_url=BASE, headers={"X-API-Key": token}, timeout=60) as client:
        while True:
            t = time.perf_counter()
            page = client.get(f"/v1/institutions/{institution}/staff",
                              params={"limit": 1000, **({"cursor": cursor} if cursor else {})})
            page.raise_for_status()
            body = page.json()
            pages.append(time.perf_counter() - t)
            rows += len(body["items"])
            cursor = body["next_cursor"]
            if cursor is None:
                break
    return {"seconds": time.perf_counter() - started, "rows": rows, "pages": len(pages),
            "page_p50_ms": statistics.median(pages) * 1000, "page_p99_ms": percentile(pages, 99) * 1000}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]


def eligibility_latency(token: str, codes: list[str], seconds: float) -> dict:
    """One client, one request after another (keep-alive), for `seconds`."""
    rnd, latencies = random.Random(5), []
    with httpx.Client(base_url=BASE, headers={"X-API-Key": token}, timeout=30) as client:
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            t = time.perf_counter()
            r = client.get("/v1/eligibility", params={"code": rnd.choice(codes), "date": "2026-03-15"})
            latencies.append(time.perf_counter() - t)
            r.raise_for_status()
    return {"requests": len(latencies), "p50_ms": statistics.median(latencies) * 1000,
            "p99_ms": percentile(latencies, 99) * 1000, "max_ms": max(latencies) * 1000}


def exports_running(token: str, count: int):
    """`count` curl processes exporting again and again, until stopped."""
    stop = threading.Event()
    done = []

    def loop():
        while not stop.is_set():
            subprocess.run(["curl", "-sf", "-o", "/dev/null", "-H", f"X-API-Key: {token}",
                            f"{BASE}/v1/practitioners/export.csv"], check=False)
            done.append(1)

    threads = [threading.Thread(target=loop, daemon=True) for _ in range(count)]
    for t in threads:
        t.start()
    return stop, threads, done


def bench(kind: str, args) -> dict:
    log(f"== {kind}: building {args.people:,} practitioners")
    url = database(kind, args.pg_url)
    engine, policy = make_engine(url), load_policy()
    built = build(engine, url, policy, args.people, today_in_china(), log=log)
    institution = one_institution(engine)
    with Session(engine) as session:
        supervisor = issue_token(session, SECRET.encode(), "bench", Role.SUPERVISOR, "000000", "bench")[0]
        settlement = issue_token(session, SECRET.encode(), "bench", Role.SETTLEMENT, "000000", "bench")[0]
        session.commit()
    codes = [c for group in codes_by_status(engine, 5000).values() for c in group]
    server = start_server(url)
    try:
        log("export of everyone")
        with MemoryWatch(server.worker_pids()[0]) as memory:
            export = export_once(supervisor)
        export |= {"rss_before_mb": memory.before / 2**20, "rss_peak_mb": memory.peak / 2**20}
        log(f"  {export}")
        log(f"staff of {institution}, 1,000 a page")
        walk = staff_walk(supervisor, institution)
        log(f"  {walk}")
        log("eligibility latency, alone")
        alone = eligibility_latency(settlement, codes, args.seconds)
        log(f"  {alone}")
        log("eligibility latency, while three exports run")
        stop, threads, done = exports_running(supervisor, 3)
        time.sleep(1)  # the exports are under way
        with MemoryWatch(server.worker_pids()[0]) as memory:
            loaded = eligibility_latency(settlement, codes, args.seconds)
        stop.set()
        for t in threads:
            t.join()
        loaded |= {"exports_finished": len(done), "rss_peak_mb": memory.peak / 2**20}
        log(f"  {loaded}")
    finally:
        server.stop()
        engine.dispose()
    return {"kind": kind, "people": args.people, "built_s": built["seconds"], "export": export, "staff_walk": walk,
            "eligibility_alone": alone, "eligibility_with_3_exports": loaded}


def table(results: list[dict]) -> str:
    title = (f"Exports and lists: {results[0]['people']:,} staff at one institution, one uvicorn worker, "
             f"{os.cpu_count()} cores")
    rows = [title, "", "| measure | " + " | ".join(r["kind"] for r in results) + " |",
            "| --- |" + " --- |" * len(results)]

    def row(name, fn):
        rows.append(f"| {name} | " + " | ".join(fn(r) for r in results) + " |")

    row("export.csv of everyone: s (first byte s)",
        lambda r: f"{r['export']['seconds']:.1f} ({r['export']['first_byte_s']:.2f})")
    row("export.csv: MB, rows", lambda r: f"{r['export']['bytes'] / 2**20:.0f}, {r['export']['rows']:,}")
    row("server RSS before / peak during export: MB",
        lambda r: f"{r['export']['rss_before_mb']:.0f} / {r['export']['rss_peak_mb']:.0f}")
    row("staff walk (1,000 a page): s", lambda r: f"{r['staff_walk']['seconds']:.1f}")
    row("staff page p50 / p99: ms",
        lambda r: f"{r['staff_walk']['page_p50_ms']:.0f} / {r['staff_walk']['page_p99_ms']:.0f}")
    row("eligibility p50 / p99 alone: ms",
        lambda r: f"{r['eligibility_alone']['p50_ms']:.2f} / {r['eligibility_alone']['p99_ms']:.2f}")
    row("eligibility p50 / p99 with 3 exports: ms", lambda r: f"{r['eligibility_with_3_exports']['p50_ms']:.2f} / "
                                                             f"{r['eligibility_with_3_exports']['p99_ms']:.2f}")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=500_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--seconds", type=float, default=10, help="duration of each latency measurement")
    parser.add_argument("--pg-url", default=os.environ.get(
        "POINTS_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/points_bench"))
    args = parser.parse_args()
    results = [bench(kind, args) for kind in (["sqlite", "postgresql"] if args.db == "both" else [args.db])]
    report = table(results)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "exports.md").write_text(report + "\n\n```json\n" + json.dumps(results, indent=1) + "\n```\n",
                                        encoding="utf-8")
    print("\n" + report)


if __name__ == "__main__":
    main()
