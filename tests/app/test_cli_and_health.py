"""The CLI as a user runs it (a real subprocess) and the health endpoint over HTTP."""
import os
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient

from api.db.engine import make_engine
from api.main import create_app

POINTS = [sys.executable, "-m", "api.cli"]
CLI_KEY = "cli-test-key-of-at-least-32-bytes"


def run(args, env, cwd):
    return subprocess.run(POINTS + args, env=env, cwd=cwd, capture_output=True, text=True, timeout=120)


@pytest.fixture
def cli_env(fresh_database, tmp_path):
    env = {**os.environ, "POINTS_DATABASE_URL": fresh_database(), "POINTS_DATA_DIR": str(tmp_path / "data")}
    return env


def test_init_db_demo_and_import_from_the_command_line(cli_env, tmp_path):
    assert run(["init-db"], cli_env, tmp_path).returncode == 0
    demo = run(["demo", "--people", "80"], cli_env, tmp_path)
    assert demo.returncode == 0 and "80 practitioners" in demo.stdout
    assert "already present" in run(["demo"], cli_env, tmp_path).stdout
    csv = tmp_path / "staff.csv"
    csv.write_text("code,name,category,institution_code,registered_on\n"
                   "D310101900001,周敏,medical,H31010100001,2025-01-02\n"
                   "D310101900002,吴杰,medical,H31010100001,2025-02-30\n", encoding="utf-8")
    out = run(["import", "practitioners", str(csv)], cli_env, tmp_path)
    assert out.returncode == 1  # some rows were rejected
    assert "line 3" in out.stdout and "1 practitioners" in out.stdout and "1 rows rejected" in out.stdout


def test_health_endpoint_reports_the_process(engine):
    with TestClient(create_app(engine)) as client:
        body = client.get("/healthz").json()
        assert body["status"] == "ok" and body["refresh_error"] is None and body["pid"] == os.getpid()


def test_database_down_is_a_503_with_a_clear_code(tmp_path):
    """Readiness fails; liveness does not (tests/app/test_health.py has the rest)."""
    down = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    with TestClient(create_app(down)) as client:
        response = client.get("/readyz")
        assert client.get("/healthz").status_code == 200
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "DATABASE_UNAVAILABLE"


def test_token_issue_from_the_command_line_authenticates_against_the_api(cli_env, tmp_path):
    from datetime import date

    from api.db.engine import make_engine
    from api.policy import load_policy
    from api.settings import Settings

    cli_env["POINTS_SECRET_KEY"] = CLI_KEY
    assert run(["init-db"], cli_env, tmp_path).returncode == 0
    out = run(["token", "issue", "--role", "settlement", "--scope", "000000", "--name", "结算系统"], cli_env, tmp_path)
    assert out.returncode == 0, out.stderr
    token = out.stdout.strip().splitlines()[-1]
    bad = run(["token", "issue", "--role", "supervisor", "--scope", "11", "--name", "x"], cli_env, tmp_path)
    assert bad.returncode == 2 and "INVALID_SCOPE" in bad.stdout and "Traceback" not in bad.stderr
    engine = make_engine(cli_env["POINTS_DATABASE_URL"])
    app = create_app(engine, Settings(secret_key=CLI_KEY, data_dir=tmp_path), load_policy(),
                     lambda: date(2026, 3, 1))
    with TestClient(app) as client:
        r = client.get("/v1/eligibility", headers={"X-API-Key": token},
                       params={"code": "D110105000001", "date": "2026-02-01"})
    assert (r.status_code, r.json()["reason"]) == (200, "UNKNOWN_PRACTITIONER")
    assert "settlement" in run(["token", "list"], cli_env, tmp_path).stdout
    engine.dispose()
