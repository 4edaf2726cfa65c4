"""Processes killed mid-transaction leave nothing half-written, and the next start needs no hand repair;
a database that goes away answers 503 and is used again when it is back."""
import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import date

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from api.audit import verify_chain
from api.db.models import JobRun, Practitioner
from tests.conftest import SERVER_URL, wipe
from tests.db.factories import institution

KEY = "faults-test-key-of-at-least-32-bytes"


def env_for(engine, tmp_path):
    from api import audit

    return {**os.environ, "POINTS_DATABASE_URL": engine.url.render_as_string(hide_password=False),
            "POINTS_DATA_DIR": str(tmp_path),
            "POINTS_SECRET_KEY": audit.settings().secret_key}  # the audit key of this process's entries


def test_an_import_killed_mid_chunk_leaves_whole_chunks_and_reruns_without_duplicates(committed_engine, policy,
                                                                                     tmp_path):
    """An import commits a chunk at a time (well under a second each), and each chunk is all or nothing: killed
    mid-chunk, the chunks before stay, whole (every row with its status bookkeeping and the chunk's audit entry),
    and nothing of that one; run again, it finds those rows present and imports the rest once."""
    import json

    from api.db.models import AuditLog, Institution, Registration
    from api.practitioners.importer import import_practitioners
    from tests.conftest import TODAY

    wipe(committed_engine)
    header = "code,name,category,institution_code,registered_on\n"
    with Session(committed_engine) as session:
        institution(session)
        institution(session, "H11010500002")
        session.commit()
        import_practitioners(session, "import", [header] + [  # 1,200 people (new: written in bulk)
            f"D110105{n:06d},员工{n},medical,H11010500001,2025-01-01\n" for n in range(1, 1201)], policy, TODAY)
    csv = tmp_path / "staff.csv"  # the same people at a second institution: known people go one by one (slow)
    csv.write_text(header + "".join(f"D110105{n:06d},员工{n},medical,H11010500002,2025-03-01\n"
                                    for n in range(1, 1201)), encoding="utf-8")
    command = [sys.executable, "-m", "api.cli", "import", "practitioners", str(csv)]
    proc = subprocess.Popen(command, env=env_for(committed_engine, tmp_path), stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout.readline().startswith("importing 1200 rows")
    progress = proc.stdout.readline()  # the first progress line, after a second: some chunks are committed
    assert " rows of 1,200 done in " in progress, progress
    assert proc.poll() is None, "the import finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)

    def at_second(session):
        return select(Registration.practitioner_id).join(Institution).where(Institution.code == "H11010500002")

    with Session(committed_engine) as session:
        registered = session.scalars(at_second(session)).all()
        chunks = [json.loads(d) for d in session.scalars(select(AuditLog.detail).where(
            AuditLog.action == "import.practitioners", AuditLog.entity_id == "staff.csv"))]
        versions = set(session.scalars(select(Practitioner.ledger_version).where(
            Practitioner.id.in_(at_second(session)))))
        assert verify_chain(session).ok
    assert int(progress.split()[0].replace(",", "")) <= len(registered) < 1200
    assert len(registered) == sum(c["registrations_created"] for c in chunks)  # no chunk half-written
    assert versions == {2}  # each with its re-derivation
    rerun = subprocess.run(command, env=env_for(committed_engine, tmp_path), capture_output=True, text=True,
                           timeout=600)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert f"{len(registered)} already present, 0 rows rejected" in rerun.stdout, rerun.stdout
    with Session(committed_engine) as session:
        registered = session.scalars(at_second(session)).all()
        assert len(registered) == len(set(registered)) == 1200
        assert verify_chain(session).ok


CRASHING_JOB = textwrap.dedent("""
    import time
    from dataclasses import replace
    from api.db.engine import default_engine
    from api.db.models import InstitutionCreate
    from api.policy import current_policy
    from api.practitioners.service import create_institution
    from scheduler.jobs import JOBS
    from scheduler.runner import Runner

    def half_done(context):
        create_institution(context.session, "job", InstitutionCreate(
            code="H11010500077", name="半途", kind="hospital", region="110105"))
        context.session.flush()
        print("flushed", flush=True)
        time.sleep(60)  # killed here, before the commit
        return {}

    job = replace(next(j for j in JOBS if j.name == "status_transitions"), body=half_done)
    Runner(default_engine(), "doomed", current_policy()).run(job)
""")


def test_a_scheduler_killed_mid_job_is_taken_over_without_repair(committed_engine, policy, tmp_path):
    from scheduler.jobs import JOBS
    from scheduler.runner import Runner

    wipe(committed_engine)
    proc = subprocess.Popen([sys.executable, "-c", CRASHING_JOB], env=env_for(committed_engine, tmp_path),
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "flushed"
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    with Session(committed_engine) as session:
        assert session.execute(text("SELECT count(*) FROM institution")).scalar() == 0  # nothing half-written
        [run] = session.scalars(select(JobRun)).all()
        assert (run.runner, run.state) == ("doomed", "running")
    # the next scheduler takes the lease once the dead one's expires, and finishes the orphaned period itself
    from datetime import datetime, timedelta, timezone

    later = datetime.now(timezone.utc) + timedelta(minutes=2)
    runner = Runner(committed_engine, "successor", policy, clock=lambda: later)
    job = next(j for j in JOBS if j.name == "status_transitions")
    assert runner.heartbeat()
    with Session(committed_engine) as session:
        [run] = session.scalars(select(JobRun).where(JobRun.job == job.name)).all()
        assert (run.runner, run.state) == ("successor", "succeeded")


@pytest.mark.skipif(not SERVER_URL, reason="needs a database server that can go away (PostgreSQL)")
def test_database_down_answers_503_and_recovers_by_itself(fresh_database, policy, tmp_path):
    from fastapi.testclient import TestClient

    from api.auth.service import issue_token
    from api.auth.tokens import Role
    from api.db.engine import make_engine
    from api.db.migrate import upgrade
    from api.main import create_app
    from api.settings import Settings

    url = fresh_database()
    upgrade(url)
    engine = make_engine(url)
    name = make_url(url).database
    with Session(engine) as session:
        supervisor = issue_token(session, KEY.encode(), "t", Role.SUPERVISOR, "000000", "s")[0]
        session.commit()
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    app = create_app(engine, Settings(secret_key=KEY, data_dir=tmp_path), policy, lambda: date(2026, 3, 1))
    headers = {"Authorization": f"Bearer {supervisor}"}
    with TestClient(app) as client:
        assert client.get("/v1/practitioners", headers=headers).status_code == 200
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
        down = client.get("/v1/practitioners", headers=headers)
        assert (down.status_code, down.json()["error"]["code"]) == (503, "DATABASE_UNAVAILABLE")
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        assert client.get("/v1/practitioners", headers=headers).status_code == 200
    engine.dispose()
    admin.dispose()


def start_api(port: int, env: dict) -> subprocess.Popen:
    """uvicorn in its own process, answering /healthz."""
    import httpx

    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "api.main:app", "--port", str(port),
                               "--log-level", "warning"], env=env)
    for _ in range(100):
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return server
        except httpx.HTTPError:
            time.sleep(0.1)
    server.kill()
    raise AssertionError("the API did not start")


def test_an_api_process_killed_mid_request_leaves_all_or_nothing(committed_engine, policy, tmp_path):
    import socket

    import httpx

    from api.auth.service import issue_token
    from api.auth.tokens import Role
    from api.db.models import Claim

    wipe(committed_engine)
    with Session(committed_engine) as session:
        token = issue_token(session, KEY.encode(), "t", Role.SETTLEMENT, "000000", "s")[0]
        session.commit()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**env_for(committed_engine, tmp_path), "POINTS_SECRET_KEY": KEY}
    base = f"http://127.0.0.1:{port}"
    claims = [{"ref": f"K{i}", "institution_code": "H11010500001", "practitioner_code": f"D110105{i:06d}",
               "service_date": "2026-01-05", "amount": "9.90"} for i in range(1, 10001)]
    server = start_api(port, env)
    try:
        with httpx.Client(base_url=base, headers={"X-API-Key": token}, timeout=0.3) as client:
            with pytest.raises(httpx.TimeoutException):
                client.post("/v1/claims", json=claims)  # the server is still working on it ...
        server.send_signal(signal.SIGKILL)  # ... when it dies
        server.wait(30)
    finally:
        if server.poll() is None:
            server.kill()
    with Session(committed_engine) as session:
        assert session.scalar(select(func.count()).select_from(Claim)) in (0, 10000)
        assert verify_chain(session).ok
    server = start_api(port, env)
    try:
        answer = httpx.post(f"{base}/v1/claims", json=claims, headers={"X-API-Key": token}, timeout=120)
        assert answer.status_code == 200 and len(answer.json()) == 10000  # resubmitting is safe: idempotent by ref
    finally:
        server.kill()
        server.wait(30)
    with Session(committed_engine) as session:
        assert session.scalar(select(func.count()).select_from(Claim)) == 10000
