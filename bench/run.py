"""The benchmark: one command, both databases, the production command against baselines served the same way.

    make bench                      # 1,000,000 practitioners, SQLite and PostgreSQL, 1 and 2 workers
    make bench ARGS="--people 100000 --db sqlite --seconds 5 --workers 1 2"

Builds a database of N practitioners, then serves, one process at a time, each with the uvicorn settings of
`points serve` (bench/baselines.py reads them from the command itself) and measures over loopback:
(L) the limit: a raw ASGI app returning constant JSON; (F) a bare FastAPI endpoint; (E) the batch floor: a
raw ASGI app that parses the batch body and echoes each line; and the subject, `points serve` exactly as
shipped, at each --workers count: GET /v1/eligibility, 1,000,000 batch lines, resident memory per worker and
snapshot load time; at one worker also the supervisor's pages and how fast a change made elsewhere is seen.
Then the year-rollover, daily-transition and claim-sweep jobs. Any non-2xx answer fails the run (exit 1).
"""
import argparse
import json
import os
import random
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from statistics import median

import httpx
from pydantic_core import to_json
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
from api.web.auth import SESSION_COOKIE
from bench.build import build, codes_by_status
from bench.load import LoadFailed, post_batches, run_wrk
from bench.report import table
from bench.servers import answers, baseline, snapshot_loaded, subject
from scheduler.jobs import JobContext, save_snapshot_image

RESULTS = Path(__file__).parent / "results"
SECRET = "bench-secret-key-of-at-least-32-bytes"
PORT = 8765                     # the subject; the baselines use their own ports
BASELINE_PORTS = {"limit": 8761, "bare": 8762, "floor": 8763}
PAGE_CONNECTIONS = 10           # people at screens, not machines
PIPELINE = 16                   # requests a write for the scaling figure: wrk then needs a fraction of a core
BATCH_REQUESTS, BATCH_LINES = 10, 100_000


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


def own_database(kind: str, pg_url: str, name: str) -> str:
    """A fresh database of a benchmark's own, beside bench/run.py's: `name`.db on SQLite, <database>_`name`."""
    if kind == "sqlite":
        RESULTS.mkdir(exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{RESULTS / name}.db{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{RESULTS / name}.db"
    url = make_url(pg_url)
    return fresh_database(kind, url.set(database=f"{url.database}_{name}").render_as_string(hide_password=False))


def service_env(url: str, **extra: str) -> dict:
    return {"POINTS_DATABASE_URL": url, "POINTS_SECRET_KEY": SECRET, "POINTS_DATA_DIR": str(RESULTS), **extra}


def start_server(url: str, workers: int = 1, port: int = PORT):
    """`points serve` on `url`, waited for until its snapshot has loaded (bench/exports.py uses it too)."""
    server = subject(port, workers, service_env(url))
    server.wait_until(snapshot_loaded(workers))
    return server


def batch_bodies(codes: list[str]) -> list[bytes]:
    """1,000,000 lines as 10 bodies of 100,000, built before any clock starts (a settlement system has its
    claim lines already)."""
    rnd = random.Random(3)
    return [to_json([{"ref": str(i), "code": rnd.choice(codes), "date": f"2026-{rnd.randint(1, 11):02d}-15",
                      "emergency": False} for i in range(BATCH_LINES)]) for _ in range(BATCH_REQUESTS)]


def visibility(engine, policy, base: str, token: str) -> float:
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
    with httpx.Client(base_url=base, headers={"X-API-Key": token}) as client:
        while True:
            answer = client.get("/v1/eligibility", params={"code": code, "date": today.isoformat()})
            if answer.status_code != 200:
                raise LoadFailed(f"visibility: status {answer.status_code}: {answer.text[:200]}")
            if not answer.json()["eligible"]:
                return time.perf_counter() - committed
            if time.perf_counter() - committed > 10:
                return float("inf")
            time.sleep(0.005)


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


def measure_baselines(args, headers: dict, paths: list[str], bodies: list[bytes]) -> dict:
    """L and F under the same wrk load as eligibility (same paths and headers), E under the same batches."""
    out = {}
    for name in ("limit", "bare"):
        with baseline(name, BASELINE_PORTS[name]) as server:
            log(f"({name[0].upper()}) {name}, 1 worker")
            out[name] = run_wrk(f"{server.base}/v1/eligibility", args.connections, args.seconds, headers, paths,
                                label=name) | {"rss_mb": server.rss_mb()}
    with baseline("floor", BASELINE_PORTS["floor"]) as server:
        log("(E) batch floor, 1 worker, 1 request in flight")
        out["floor"] = post_batches(server.base, bodies, BATCH_LINES, 1) | {"rss_mb": server.rss_mb()}
    return out


def side_by_side(args, url: str, token: str, paths: list[str], bodies: list[bytes]) -> dict:
    """The ratios again, from servers running side by side and loaded in turn (L and the subject at 1 worker, L
    and the subject at 2 workers: how far the machine itself scales with wrk on the same cores; E, the subject's
    batch), `--pairs` rounds: on shared cores a machine's speed drifts between runs
    minutes apart, which a ratio of two such runs takes for a difference between the servers. Reported: each
    round's figures and the median of each ratio."""
    headers = {"X-API-Key": token}
    with baseline("limit", BASELINE_PORTS["limit"]) as limit, baseline("floor", BASELINE_PORTS["floor"]) as floor, \
            baseline("limit", BASELINE_PORTS["limit"] + 10, workers=2) as limit_two, \
            subject(PORT, 1, service_env(url)) as one, subject(PORT + 1, 2, service_env(url)) as two:
        one.wait_until(snapshot_loaded(1))
        two.wait_until(snapshot_loaded(2))
        rounds = []
        for n in range(args.pairs):
            log(f"side by side, round {n + 1} of {args.pairs}: L, eligibility at 1 and 2 workers, E, batch")
            load, cpu = {}, {}
            for name, server in (("limit", limit), ("one", one), ("limit_two", limit_two), ("two", two)):
                used = server.cpu_seconds()
                done = run_wrk(f"{server.base}/v1/eligibility", args.connections, args.seconds, headers, paths,
                               label=f"side by side {name}")
                load[name], cpu[name] = done["rps"], (server.cpu_seconds() - used) / done["requests"] * 1e6
            for name, server in (("one", one), ("two", two)):  # wrk at a fraction of a core: the workers' own
                used = server.cpu_seconds()
                done = run_wrk(f"{server.base}/v1/eligibility", args.connections, args.seconds, headers, paths,
                               label=f"side by side {name}, pipelined", pipeline=PIPELINE)
                load[f"{name}_pipelined"] = done["rps"]
                cpu[f"{name}_pipelined"] = (server.cpu_seconds() - used) / done["requests"] * 1e6
            load["cpu_us_per_check"] = cpu
            floor_run = post_batches(floor.base, bodies, BATCH_LINES, 1)
            batch_run = post_batches(one.base, bodies, BATCH_LINES, 1, headers)
            load["floor_s"], load["batch_s"] = floor_run["seconds"], batch_run["seconds"]
            load["floor_answered_s"], load["batch_answered_s"] = floor_run["answered_s"], batch_run["answered_s"]
            rounds.append(load | {"single_ratio": load["one"] / load["limit"], "scaling": load["two"] / load["one"],
                                  "limit_scaling": load["limit_two"] / load["limit"],
                                  "pipelined_scaling": load["two_pipelined"] / load["one_pipelined"],
                                  # CPU per check at 2 workers against 1: whether workers get in each other's way
                                  "cpu_scaling": cpu["one"] / cpu["two"],
                                  "batch_ratio": load["batch_s"] / load["floor_s"],
                                  # without the client's parse of the answers: the server's part and the transfer
                                  "answered_ratio": load["batch_answered_s"] / load["floor_answered_s"]})
    return {"rounds": rounds} | {f"median_{k}": median(r[k] for r in rounds)
                                 for k in ("single_ratio", "scaling", "limit_scaling", "cpu_scaling", "batch_ratio",
                                           "answered_ratio", "pipelined_scaling")}


def memory_without_snapshot(url: str) -> list[float]:
    """The production app's workers with the snapshot switched off: the memory "before" the snapshot."""
    with subject(PORT, 1, service_env(url, POINTS_SNAPSHOT="false")) as server:
        server.wait_until(answers("/healthz"), 120)
        time.sleep(1)  # a snapshot, if one were loading, would show by now
        if httpx.get(f"{server.base}/healthz", timeout=5).json().get("snapshot"):
            raise SystemExit("POINTS_SNAPSHOT=false no longer switches the snapshot off: fix memory_without_snapshot")
        return server.rss_mb()


def cold_start_and_image(engine, policy, url: str) -> dict:
    """`points serve` with no saved image (it reads everyone: a first start), then the scheduler's
    `snapshot_image` job, after which every start below installs the image and the changes since."""
    with subject(PORT, 1, service_env(url)) as server:
        up = server.wait_until(answers("/healthz"))
        loaded = server.wait_until(snapshot_loaded(1))
        out = {"up_s": up, "loaded_s": loaded, "rss_peak_loading_mb": server.peak_mb()}
    log(f"points serve, no image: up after {up:.1f} s, snapshot read in full after {loaded:.1f} s")
    with Session(engine) as session:
        seconds, saved = timed(lambda: save_snapshot_image(JobContext(session, engine, datetime.now(timezone.utc),
                                                                       policy, lambda: datetime.now(timezone.utc))))
        session.commit()
    log(f"snapshot_image job: {saved} in {seconds:.1f} s")
    return out | {"image_job_s": seconds, "image_bytes": saved["bytes"]}


def measure_subject(workers: int, args, url: str, token: str, paths: list[str], bodies: list[bytes],
                    extra=None) -> dict:
    """`points serve --workers N`: start to first answer, to a loaded snapshot, memory, eligibility, batches."""
    with subject(PORT, workers, service_env(url)) as server:
        up = server.wait_until(answers("/healthz"))
        loaded = server.wait_until(snapshot_loaded(workers))
        out = {"workers": workers, "up_s": up, "loaded_s": loaded, "worker_pids": server.worker_pids(),
               "rss_loaded_mb": server.rss_mb(), "rss_peak_loading_mb": server.peak_mb()}
        log(f"points serve --workers {workers}: up after {up:.1f} s, snapshot loaded after {loaded:.1f} s, "
            f"RSS per worker {[round(m) for m in out['rss_loaded_mb']]} MB")
        log(f"GET /v1/eligibility, {workers} worker(s)")
        out["single"] = run_wrk(f"{server.base}/v1/eligibility", args.connections, args.seconds,
                                {"X-API-Key": token}, paths, label=f"eligibility, {workers} worker(s)")
        log(f"1,000,000 batch lines, {workers} worker(s), {workers} request(s) in flight")
        out["batch"] = post_batches(server.base, bodies, BATCH_LINES, workers, {"X-API-Key": token})
        if extra:
            out |= extra(server)
        out["rss_after_mb"] = server.rss_mb()
    return out


def page_session(base: str, token: str, probe: str) -> str:
    """Signs in through the login form as a browser would and returns the session cookie, after checking that a
    page answers 200 with it (wrk counts a 3xx redirect to the login page as a success)."""
    with httpx.Client(base_url=base, follow_redirects=False) as client:
        form = client.get("/ui/login").text
        csrf = form.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        signed = client.post("/ui/login", data={"token": token, "next": "/ui", "csrf": csrf})
        if signed.status_code != 303 or SESSION_COOKIE not in client.cookies:
            raise SystemExit(f"FAIL: signing in for the page benchmark answered {signed.status_code}")
        cookie = client.cookies[SESSION_COOKIE]
        page = client.get(probe)
        if page.status_code != 200:
            raise SystemExit(f"FAIL: {probe} answered {page.status_code} to a signed-in supervisor")
    return f"{SESSION_COOKIE}={cookie}"


def pages_and_visibility(args, engine, policy, codes, token: str, supervisor: str):
    def run(server) -> dict:
        log("pages: a person's page (timeline picture) and a search, signed in as a supervisor")
        cookie = page_session(server.base, supervisor, f"/ui/people/{codes['normal'][0]}")
        pages = {name: run_wrk(f"{server.base}/ui/people", PAGE_CONNECTIONS, args.seconds,
                               {"Cookie": cookie}, page_paths, label=f"page {name}")
                 for name, page_paths in (
                     ("person", [f"/ui/people/{c}" for c in codes["suspended"][:500] + codes["normal"][:500]]),
                     ("search", [f"/ui/people?q={c[:9]}" for c in codes["normal"][:1000]]))}
        log("status change made by another process -> visible in answers")
        return {"pages": pages, "visible_s": visibility(engine, policy, server.base, token)}
    return run


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
    bodies = batch_bodies(sample)
    result = {"kind": kind, "people": args.people, "built": built, "load_average_at_start": os.getloadavg(),
              "baselines": measure_baselines(args, {"X-API-Key": token}, paths, bodies)}
    log("points serve with no saved image, then the scheduler's snapshot_image job")
    result["cold_start"] = cold_start_and_image(engine, policy, url)
    log("points serve with the snapshot off (memory before the snapshot)")
    result["rss_no_snapshot_mb"] = memory_without_snapshot(url)
    result["subject"] = {}
    for workers in args.workers:
        extra = pages_and_visibility(args, engine, policy, codes, token, supervisor) if workers == 1 else None
        try:
            result["subject"][str(workers)] = measure_subject(workers, args, url, token, paths, bodies, extra)
        except NotImplementedError as missing:  # `points serve` without --workers: reported as "—"
            log(f"skipped {workers} workers: {missing}")
            result["subject"][str(workers)] = {"skipped": str(missing)}
    if args.pairs:
        result["side_by_side"] = side_by_side(args, url, token, paths, bodies)
    result["load_average_after_http"] = os.getloadavg()  # other work on the machine shows here
    log("jobs over everyone")
    result["jobs"] = {k: (round(t, 2), r) for k, (t, r) in run_jobs(engine, policy).items()}
    engine.dispose()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--seconds", type=int, default=10, help="duration of each HTTP load")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2],
                        help="`points serve --workers` counts to measure; 1 is always measured")
    parser.add_argument("--pairs", type=int, default=3,
                        help="rounds of the side-by-side measurement of the ratios (0: none)")
    parser.add_argument("--pg-url", default=os.environ.get(
        "POINTS_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/points_bench"))
    args = parser.parse_args()
    args.workers = sorted({1, *args.workers})
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    try:
        results = [bench(kind, args) for kind in kinds]
    except LoadFailed as failure:
        print(f"\nFAIL: {failure}", file=sys.stderr)
        sys.exit(1)
    report = table(results, args)
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    for r in results:
        (RESULTS / f"run-{r['kind']}-{r['people']}-{stamp}.json").write_text(json.dumps(r, indent=1, default=str))
    (RESULTS / "latest.md").write_text(report + "\n", encoding="utf-8")
    print("\n" + report)


if __name__ == "__main__":
    main()
