"""GET /v1/eligibility in front of FastAPI: answers rendered from the snapshot's states are byte-for-byte what
the documented route renders, for every state, date and emergency flag; a failure is still the error envelope."""
import time
from datetime import date, datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient

from api.auth.tokens import Role
from api.eligibility import fastpath
from api.main import create_app
from api.settings import Settings
from tests.app.conftest import SECRET, case
from tests.app.test_emergency_exemption import EXTENDED

CODES = ("D110105000123", "D110105000124", "D110105000125")
SAME_ID = {"X-Request-ID": "compare-both-paths"}


def loaded(app, codes) -> None:
    deadline = time.monotonic() + 5
    while app.state.live.snapshot is None or any(c not in app.state.live.snapshot for c in codes):
        assert time.monotonic() < deadline, "snapshot not loaded"
        time.sleep(0.02)


@pytest.fixture(params=["national", "extended"])
def apps(request, api, people, tmp_path):
    """A suspension, a termination, and someone with nothing; the service with its fast path and the route alone,
    each with its snapshot loaded, under the national policy and one that exempts more in emergencies."""
    for code in CODES[1:]:  # registered later than the first, so early dates are "not registered"
        r = api.client.post("/v1/practitioners", headers=people, json={
            "code": code, "name": "李娜", "category": "medical", "institution_code": "H11010500001",
            "registered_on": "2026-01-20"})
        assert r.status_code == 201, r.text
    case(api, people, 9, "2026-02-10", violation="S01", code=CODES[0])
    case(api, people, 12, "2026-03-10", violation="F01", code=CODES[1])
    policy = EXTENDED if request.param == "extended" else api.app.state.policy
    made = [create_app(api.engine, Settings(secret_key=SECRET.decode(), data_dir=tmp_path / str(fast)), policy,
                       api.clock, fast_path=fast) for fast in (True, False)]
    with TestClient(made[0]) as fast, TestClient(made[1]) as routed:
        for app in made:
            loaded(app, CODES)
        yield api, fast, routed


def test_snapshot_answers_are_the_routes_bytes(apps):
    api, fast, routed = apps
    headers = {**api.token(Role.SETTLEMENT, "000000"), **SAME_ID}
    days = [date(2026, 1, 1) + timedelta(days=n) for n in range(0, 420, 9)]
    asked = 0
    for code in CODES:
        for day in days:
            for emergency in (None, "true", "false", "1", "No"):
                url = f"/v1/eligibility?code={code}&date={day}" + (f"&emergency={emergency}" if emergency else "")
                a, b = fast.get(url, headers=headers), routed.get(url, headers=headers)
                assert (a.status_code, a.content) == (b.status_code, b.content), url
                assert a.headers["content-type"] == "application/json" and a.headers["x-request-id"]
                asked += 1
    assert asked == len(CODES) * len(days) * 5


def test_an_unexpected_failure_is_a_500_envelope_with_the_request_id(api, people, monkeypatch):
    loaded(api.app, ["D110105000123"])

    def broken(*_):
        raise RuntimeError("boom")

    monkeypatch.setattr(fastpath.EligibilityFastPath, "snapshot_answer", broken)
    r = api.client.get("/v1/eligibility?code=D110105000123&date=2026-02-20",
                       headers={**api.token(Role.SETTLEMENT, "000000"), "X-Request-ID": "failure-0001"})
    assert r.status_code == 500
    assert r.json()["error"]["code"] == "INTERNAL_ERROR" and r.json()["error"]["request_id"] == "failure-0001"
    assert r.headers["x-request-id"] == "failure-0001" and "boom" not in r.text


def test_an_expired_token_is_not_taken_from_the_cache(api, people, monkeypatch):
    loaded(api.app, ["D110105000123"])
    headers = api.token(Role.SETTLEMENT, "000000")
    url = "/v1/eligibility?code=D110105000123&date=2026-02-20"
    assert api.client.get(url, headers=headers).status_code == 200  # verified once: now in the cache
    later = time.time() + 400 * 86400
    monkeypatch.setattr(time, "time", lambda: later)
    monkeypatch.setattr("api.deps.utcnow", lambda: datetime.fromtimestamp(later, timezone.utc))
    r = api.client.get(url, headers=headers)
    assert (r.status_code, r.json()["error"]["code"]) == (401, "TOKEN_EXPIRED")


def test_a_repeated_request_id_is_taken_as_the_request_log_takes_it(api, people):
    loaded(api.app, ["D110105000123"])
    token = api.token(Role.SETTLEMENT, "000000")
    for url in ("/v1/eligibility?code=D110105000123&date=2026-02-20",  # the fast path
                "/v1/eligibility?code=D110105000123&date=2026-02-20&known_at=2099-01-01T00:00:00Z"):  # the route
        r = api.client.get(url, headers=[*token.items(), ("X-Request-ID", "first-id-0001"),
                                          ("X-Request-ID", "second-id-0002")])
        assert r.status_code == 200 and r.headers["x-request-id"] == "first-id-0001", url
