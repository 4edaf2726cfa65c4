"""An app over a real, migrated database (SQLite or PostgreSQL); tables are emptied before each test, so
requests commit for real. The app's clock is fixed and can be moved."""
from dataclasses import dataclass
from datetime import date

import pytest
from fastapi.testclient import TestClient

from api.auth.tokens import Role
from api.main import create_app
from api.settings import Settings
from tests.conftest import issue_test_token, wipe

SECRET = b"test-secret-key-of-at-least-32-bytes"


class Clock:
    def __init__(self, today: date):
        self.today = today

    def __call__(self) -> date:
        return self.today


@dataclass
class Api:
    client: TestClient
    app: object
    clock: Clock
    engine: object

    def token(self, role: Role, scope: str, name: str | None = None, days: float = 1) -> dict:
        token = issue_test_token(self.engine, SECRET, role, scope, name or f"{role}-{scope}", days)
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def api(committed_engine, policy, tmp_path):
    api_engine = committed_engine
    wipe(api_engine)
    clock = Clock(date(2026, 3, 1))
    app = create_app(api_engine, Settings(secret_key=SECRET.decode(), data_dir=tmp_path), policy, clock)
    # a loopback host, as in development: page cookies are not Secure there (POINTS_COOKIE_SECURE=auto)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        yield Api(client, app, clock, api_engine)


@pytest.fixture
def people(api):
    """A Beijing supervisor, two Beijing institutions and a physician registered at the first."""
    sup = api.token(Role.SUPERVISOR, "110000", "北京市医保局 李科长")
    for code, name in (("H11010500001", "朝阳第一医院"), ("H11010500002", "朝阳第二医院")):
        r = api.client.post("/v1/institutions", headers=sup, json={
            "code": code, "name": name, "kind": "hospital", "region": "110105"})
        assert r.status_code == 201, r.text
    r = api.client.post("/v1/practitioners", headers=sup, json={
        "code": "D110105000123", "name": "王伟", "category": "medical", "institution_code": "H11010500001",
        "registered_on": "2025-01-01"})
    assert r.status_code == 201, r.text
    return sup


def case(api, headers, points, decided, violation="H01", code="D110105000123", number=None, **extra):
    body = {"violation_code": violation, "decision_date": decided, "case_number": number or f"CASE-{decided}-{points}",
            "authority": "北京市朝阳区医疗保障局", "institution_code": "H11010500001",
            "people": [{"practitioner_code": code, "points": points, "responsibility": "main"}], **extra}
    return api.client.post("/v1/cases", headers=headers, json=body)
