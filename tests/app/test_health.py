"""Liveness answers from memory whatever the database does; readiness reads the database with a deadline
(issue 14: /healthz answered 503 while an import held SQLite's write lock)."""
import os
import sqlite3
import threading
import time
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from api.db.engine import make_engine
from api.main import create_app
from api.settings import Settings
from tests.app.conftest import SECRET
from tests.conftest import SERVER_URL

DEAD = "postgresql+psycopg://nobody@127.0.0.1:1/none"  # nothing listens on port 1: refused at once


def app_over(engine, tmp_path, policy, **settings):
    return create_app(engine, Settings(secret_key=SECRET.decode(), data_dir=tmp_path, **settings), policy,
                      lambda: date(2026, 3, 1))


def readiness_threads() -> int:
    return sum(t.name == "points-readiness" and t.is_alive() for t in threading.enumerate())


@pytest.mark.skipif(bool(SERVER_URL), reason="SQLite's write lock")
def test_both_answer_200_while_another_connection_holds_the_sqlite_write_lock(committed_engine, tmp_path, policy):
    path = make_url(committed_engine.url).database
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # held, as by a long import
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):  # the lock is real: a second writer waits
            sqlite3.connect(path, isolation_level=None, timeout=0).execute("BEGIN IMMEDIATE")
        with TestClient(app_over(committed_engine, tmp_path, policy)) as client:
            health = client.get("/healthz")
            assert health.status_code == 200, health.text
            assert health.json()["status"] == "ok" and health.json()["pid"] == os.getpid()
            for _ in range(100):  # a plain read in WAL mode does not wait for the writer: the snapshot loads too
                ready = client.get("/readyz")
                if ready.status_code == 200:
                    break
                assert ready.json()["error"]["code"] == "NOT_READY", ready.text
                time.sleep(0.05)
            assert ready.status_code == 200, ready.text
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_a_dead_database_fails_readiness_and_not_liveness(tmp_path, policy):
    down = make_engine(DEAD)
    with TestClient(app_over(down, tmp_path, policy)) as client:
        health = client.get("/healthz")
        ready = client.get("/readyz")
    assert health.status_code == 200
    assert health.json()["snapshot"] is None and health.json()["pid"] == os.getpid()
    assert ready.status_code == 503
    error = ready.json()["error"]
    assert (error["code"], error["message"]) == ("DATABASE_UNAVAILABLE", "the database is not reachable")
    assert error["request_id"] == ready.headers["X-Request-ID"]
    assert "127.0.0.1" not in ready.text  # a public route: the cause goes to the log, not the answer
    down.dispose()


@pytest.fixture
def stuck_database(fresh_database):
    """A database holding only `alembic_version`, and a function that makes its reads wait (on SQLite an
    exclusive lock: readers wait out the 10 s busy timeout; on PostgreSQL an ACCESS EXCLUSIVE lock on the
    table); it returns the function that lets them go."""
    url = fresh_database()
    if url.startswith("sqlite"):
        path = make_url(url).database
        with sqlite3.connect(path, isolation_level=None) as setup:
            setup.execute("PRAGMA journal_mode=WAL")
            setup.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
            setup.execute("INSERT INTO alembic_version VALUES ('test')")
        setup.close()

        def stick():
            locker = sqlite3.connect(path, isolation_level=None)
            locker.execute("PRAGMA locking_mode=EXCLUSIVE")
            locker.execute("BEGIN EXCLUSIVE")
            locker.execute("UPDATE alembic_version SET version_num = 'test'")
            locker.execute("COMMIT")  # exclusive locking mode keeps the lock after the commit
            return locker.close
    else:
        admin = create_engine(url)
        with admin.begin() as conn:
            conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
            conn.execute(text("INSERT INTO alembic_version VALUES ('test')"))

        def stick():
            conn = admin.connect()
            conn.execute(text("LOCK TABLE alembic_version IN ACCESS EXCLUSIVE MODE"))

            def release():
                conn.rollback()
                conn.close()
                admin.dispose()
            return release
    return url, stick


def test_readiness_gives_up_at_its_deadline_and_recovers(stuck_database, tmp_path, policy):
    url, stick = stuck_database
    engine = make_engine(url)
    release = stick()
    try:
        client = TestClient(app_over(engine, tmp_path, policy, snapshot=False))  # no lifespan: no other reads
        first = client.get("/readyz")  # returns (at its deadline) although the read is still waiting
        assert first.status_code == 503, first.text
        assert first.json()["error"]["code"] == "DATABASE_UNAVAILABLE"
        assert client.get("/healthz").status_code == 200
        second = client.get("/readyz")
        assert second.status_code == 503 and second.json()["error"]["code"] == "DATABASE_UNAVAILABLE"
        assert readiness_threads() <= 1  # probes share the one read; a stuck read is not joined by more
    finally:
        release()
    for _ in range(150):  # the waiting read finishes once the lock is gone (SQLite retries within its timeout)
        ready = client.get("/readyz")
        if ready.status_code == 200:
            break
        time.sleep(0.1)
    assert ready.status_code == 200, ready.text
    body = ready.json()
    assert body["status"] == "ready" and body["database"]["schema_revision"] == "test" and body["snapshot"] is None
    engine.dispose()


def test_not_ready_until_the_snapshot_has_loaded(committed_engine, tmp_path, policy):
    app = app_over(committed_engine, tmp_path, policy)
    before = TestClient(app).get("/readyz")  # no lifespan: the snapshot never loads
    assert before.status_code == 503 and before.json()["error"]["code"] == "NOT_READY"
    with TestClient(app) as client:
        for _ in range(100):
            ready = client.get("/readyz")
            if ready.status_code == 200:
                break
            time.sleep(0.05)
        health = client.get("/healthz").json()
    assert ready.status_code == 200, ready.text
    body = ready.json()
    assert body["status"] == "ready" and body["pid"] == os.getpid() and body["refresh_error"] is None
    assert body["snapshot"]["people"] >= 0 and body["database"]["schema_revision"]
    assert health["snapshot"] is not None and health["pid"] == body["pid"]


def test_both_are_documented_in_openapi(committed_engine, tmp_path, policy):
    paths = TestClient(app_over(committed_engine, tmp_path, policy)).get("/openapi.json").json()["paths"]
    health, ready = paths["/healthz"]["get"], paths["/readyz"]["get"]
    assert "Liveness" in health["summary"] and "Readiness" in ready["summary"]
    assert set(health["responses"]) == {"200"} and set(ready["responses"]) == {"200", "503"}
    examples = ready["responses"]["503"]["content"]["application/json"]["examples"]
    assert set(examples) == {"DATABASE_UNAVAILABLE", "NOT_READY"}
