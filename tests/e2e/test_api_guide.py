"""The integrator's httpx client in docs/api.md, run as written against a live server."""
import re
from pathlib import Path

import httpx
import pytest

from api.auth.tokens import Role
from api.webhooks.delivery import signature
from tests.e2e.conftest import record_until_suspended

pytestmark = pytest.mark.db
GUIDE = Path(__file__).parents[2] / "docs" / "api.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", GUIDE.read_text(), re.S)


@pytest.fixture
def suspended_person(site, beijing):
    """A physician at 5 + 4 points in February 2026: suspended from 21 February to 20 March."""
    record_until_suspended(site, beijing)
    return beijing


def test_the_guides_client_runs_as_written(site, suspended_person, monkeypatch, capsys):
    client_code = python_blocks()[0]
    token = site.token(Role.SETTLEMENT, "110000", "北京市医保结算系统")
    monkeypatch.setenv("POINTS_URL", site.url)
    monkeypatch.setenv("POINTS_TOKEN", token)
    done: dict = {}
    exec(compile(client_code, str(GUIDE), "exec"), done)
    assert done["answer"]["reason"] == "SUSPENDED" and done["answer"]["until"] == "2026-03-20"
    assert "hold: SUSPENDED until 2026-03-20" in capsys.readouterr().out
    assert done["held"] == ["L1"] and done["bad"] == ["L3"]
    assert done["blocked"] == ["BJ-2026-000002"]
    paid = httpx.get(f"{site.url}/v1/claims", params={"status": "paid"}, headers={"X-API-Key": token}).json()
    assert [c["ref"] for c in paid["items"]] == ["BJ-2026-000001"]

    exec(compile(client_code, str(GUIDE), "exec"), again := {})  # a retried run changes nothing
    assert again["blocked"] == ["BJ-2026-000002"]
    paid = httpx.get(f"{site.url}/v1/claims", params={"status": "paid"}, headers={"X-API-Key": token}).json()
    assert len(paid["items"]) == 1


def test_the_guides_webhook_check_accepts_our_signature_and_nothing_else():
    namespace: dict = {}
    exec(python_blocks()[1], namespace)
    verified, body = namespace["verified"], b'{"status": "suspended"}'
    header = signature("receiver-secret", 1_790_000_000, body)
    assert verified("receiver-secret", header, body)
    assert not verified("receiver-secret", header, body + b" ")
    assert not verified("another-secret", header, body)
