"""Emergency and rescue care over HTTP: exempt during a suspension only (national), and in the states a region's
policy adds from its effective date, looked up by the person's region (from the code) on the service date, alike
on the snapshot, the database path, the batch and claims."""
import time
from importlib.resources import files

import pytest
from fastapi.testclient import TestClient

from api.auth.tokens import Role
from api.main import create_app
from api.settings import Settings
from points import parse_policy
from tests.app.conftest import SECRET, case

CODE = "D110105000123"
# Beijing exempts the ban too, from 15 February 2026 (a test row; no such source is known).
EXTENDED = parse_policy(files("points").joinpath("data/policy.toml").read_text(encoding="utf-8") + """
[[parameters]]
region = "110000"
effective_from = 2026-02-15
source = "test: a provincial rule extending the exemption"
emergency_exempt_states = ["suspended", "banned"]
""")


def ask(client, headers, day, emergency=True):
    r = client.get("/v1/eligibility", headers=headers, params={"code": CODE, "date": day, "emergency": emergency})
    assert r.status_code == 200, r.text
    return r.json()["eligible"], r.json()["status"], r.json()["reason"]


def emergency_claim(api, headers, ref, day):
    return api.client.post("/v1/claims", headers=headers, json=[{
        "ref": ref, "institution_code": "H11010500001", "practitioner_code": CODE, "service_date": day,
        "emergency": True, "amount": "1280.50"}]).json()[0]


def test_national_emergency_care_during_a_suspension_is_payable(api, people):
    settle = api.token(Role.SETTLEMENT, "110000")
    case(api, people, 9, "2026-02-10", violation="S01")  # suspended 11 Feb – 10 Mar
    assert ask(api.client, settle, "2026-02-20") == (True, "suspended", "EMERGENCY_EXEMPT")
    assert (emergency_claim(api, settle, "E1", "2026-02-20")["state"]) == "payable"


def test_national_emergency_care_during_a_ban_is_not_payable(api, people):
    settle = api.token(Role.SETTLEMENT, "110000")
    case(api, people, 12, "2026-02-10", violation="F01")  # banned from 11 Feb
    assert ask(api.client, settle, "2026-02-20") == (False, "banned", "TERMINATED")
    r = api.client.post("/v1/eligibility/batch", headers=settle,
                        json=[{"code": CODE, "date": "2026-02-20", "emergency": True}])
    assert (r.json()[0]["eligible"], r.json()[0]["reason"]) == (False, "TERMINATED")
    claim = emergency_claim(api, settle, "E1", "2026-02-20")
    assert (claim["state"], claim["reason"]) == ("blocked", "TERMINATED")


@pytest.fixture
def extended(api, people, tmp_path):
    """Apps of the extended policy over the same database: with the snapshot, and without (database path)."""
    case(api, people, 12, "2026-02-10", violation="F01")
    apps = [create_app(api.engine, Settings(secret_key=SECRET.decode(), data_dir=tmp_path / kind, snapshot=snap),
                       EXTENDED, api.clock) for kind, snap in (("snapshot", True), ("db", False))]
    with TestClient(apps[0]) as with_snapshot, TestClient(apps[1]) as from_db:
        deadline = time.monotonic() + 5
        while apps[0].state.live.snapshot is None or CODE not in apps[0].state.live.snapshot:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        yield api, api.token(Role.SETTLEMENT, "110000"), with_snapshot, from_db


def test_a_region_that_extends_the_exemption_pays_emergency_care_in_a_ban_from_its_effective_date(extended):
    api, settle, with_snapshot, from_db = extended
    for client in (with_snapshot, from_db):
        assert ask(client, settle, "2026-02-14") == (False, "banned", "TERMINATED")
        assert ask(client, settle, "2026-02-15") == (True, "banned", "EMERGENCY_EXEMPT")
        assert ask(client, settle, "2026-02-15", emergency=False) == (False, "banned", "TERMINATED")
        r = client.post("/v1/eligibility/batch", headers=settle, json=[
            {"code": CODE, "date": d, "emergency": True} for d in ("2026-02-14", "2026-02-15")])
        assert [x["reason"] for x in r.json()] == ["TERMINATED", "EMERGENCY_EXEMPT"]
    assert ask(api.client, settle, "2026-02-15") == (False, "banned", "TERMINATED")  # the national policy
