"""One JSON line per request with its id (issue 14), written by the request log's thread; the id is echoed on
every response, the eligibility fast path and errors included."""
import io
import json
import logging
import re
import time

import httpx
import pytest
from fastapi.testclient import TestClient

from api import request_log
from api.auth.tokens import Role
from tests.app.conftest import case
from tests.security.server import running_server

CODE = "D110105000123"
ID_NUMBER = "110105199001011234"
GENERATED = re.compile(r"[0-9a-f]{16}")


@pytest.fixture
def log():
    """The writer's output for this test; every request its own line (successful checks too), unless a test
    asks for summaries."""
    output, before = io.BytesIO(), request_log.WRITER.output
    request_log.start(each_check=True, output=output)
    yield Log(output)
    request_log.flush()
    request_log.WRITER.output, request_log.CHECKS.each = before, False


class Log:
    def __init__(self, output: io.BytesIO):
        self.output = output

    def lines(self, summaries: bool = False) -> list[dict]:
        request_log.flush(summaries)
        return [json.loads(line) for line in self.output.getvalue().splitlines()]

    def line_of(self, request_id: str) -> dict:
        """The request's line. A test client hands the response over before the app returns, so the line may
        be queued a moment later."""
        for _ in range(100):
            found = [line for line in self.lines() if line.get("request_id") == request_id and "method" in line]
            if found:
                assert len(found) == 1
                return found[0]
            time.sleep(0.02)
        raise AssertionError(f"no line for {request_id}")


def settlement(api, **extra) -> dict:
    return {**api.token(Role.SETTLEMENT, "000000"), **extra}


def requests_of_every_kind(api, people) -> list:
    """(fast path answer, fast path error, general route answer, general route error, no route at all)."""
    check = f"/v1/eligibility?code={CODE}&date=2026-02-20"
    return [("GET", check, settlement(api)), ("GET", check, {}),
            ("GET", f"/v1/practitioners/{CODE}", people), ("GET", "/v1/practitioners/D110105999999", people),
            ("GET", "/v1/nothing-here", {})]


def test_a_valid_id_is_echoed_on_every_kind_of_answer(api, people, log):
    for method, url, headers in requests_of_every_kind(api, people):
        r = api.client.request(method, url, headers={**headers, "X-Request-ID": "client-id-0001"})
        assert r.headers["X-Request-ID"] == "client-id-0001", url
        if r.status_code >= 400 and "error" in r.json():
            assert r.json()["error"]["request_id"] == "client-id-0001", url


@pytest.mark.parametrize("sent", ["short", "has space-in-it", "x" * 65, "semi;colon-id", f"id-{ID_NUMBER}", "ü" * 9])
def test_an_invalid_id_is_replaced(api, people, log, sent):
    for method, url, headers in requests_of_every_kind(api, people):
        r = api.client.request(method, url, headers={**headers, "X-Request-ID": sent.encode()})
        assert GENERATED.fullmatch(r.headers["X-Request-ID"]), url
        assert ID_NUMBER not in log.line_of(r.headers["X-Request-ID"])["request_id"]


def test_without_an_id_each_answer_gets_its_own(api, people, log):
    ids = []
    for _ in range(3):
        for method, url, headers in requests_of_every_kind(api, people):
            ids.append(api.client.request(method, url, headers=headers).headers["X-Request-ID"])
    assert all(GENERATED.fullmatch(i) for i in ids) and len(set(ids)) == len(ids)


def test_a_line_holds_id_route_status_duration_and_actor_but_no_query(api, people, log):
    r = api.client.get(f"/v1/eligibility?code={CODE}&date=2026-02-20&note={ID_NUMBER}", headers=settlement(api))
    line = log.line_of(r.headers["X-Request-ID"])
    assert (line["method"], line["route"], line["status"], line["role"]) == ("GET", "/v1/eligibility", 200,
                                                                             "settlement")
    assert line["actor"] and line["duration_ms"] >= 0 and "error" not in line
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["time"])
    r = api.client.get(f"/v1/practitioners/{CODE}", headers=people)
    line = log.line_of(r.headers["X-Request-ID"])
    assert (line["route"], line["status"], line["role"]) == ("/v1/practitioners/{code}", 200, "supervisor")
    raw = log.output.getvalue().decode()
    assert CODE not in raw and "date=" not in raw and "?" not in raw and ID_NUMBER not in raw


def test_a_path_without_a_route_is_logged_masked(api, log):
    r = api.client.get(f"/v1/people/{ID_NUMBER}?code={CODE}")
    line = log.line_of(r.headers["X-Request-ID"])
    assert (line["status"], line["route"]) == (404, "/v1/people/110105***********4")
    assert ID_NUMBER not in log.output.getvalue().decode()


@pytest.mark.parametrize("url,headers,expected", [
    (f"/v1/eligibility?code={CODE}&date=2026-02-20", "nobody", (401, "UNAUTHENTICATED")),           # fast path
    (f"/v1/eligibility?code={CODE}&code={CODE}&date=2026-02-20", "settlement", (422, "DUPLICATE_PARAMETER")),
    (f"/v1/eligibility?code={CODE}&date=2026-02-30", "settlement", (422, "INVALID_DATE")),
    (f"/v1/eligibility?code={CODE}&date=2026-02-20&known_at=soon", "settlement", (422, "INVALID_KNOWN_AT")),  # route
    ("/v1/practitioners/D110105999999", "supervisor", (404, "PRACTITIONER_NOT_FOUND")),
])
def test_an_error_line_carries_the_error_code(api, people, log, url, headers, expected):
    headers = {"settlement": settlement(api), "supervisor": people, "nobody": {}}[headers]
    r = api.client.get(url, headers=headers)
    assert (r.status_code, r.json()["error"]["code"]) == expected
    line = log.line_of(r.headers["X-Request-ID"])
    assert (line["status"], line["error"]) == expected
    assert r.json()["error"]["request_id"] == line["request_id"]


def test_successful_checks_are_summarised_and_errors_still_have_their_lines(api, people, log):
    case(api, people, 9, "2026-02-10", violation="S01")
    request_log.CHECKS.each = False
    headers = settlement(api)
    ok = [api.client.get(f"/v1/eligibility?code={CODE}&date=2026-02-2{i}", headers=headers) for i in range(5)]
    batch = api.client.post("/v1/eligibility/batch", headers=headers, json=[{"code": CODE, "date": "2026-02-20"}])
    refused = api.client.get(f"/v1/eligibility?code={CODE}", headers=headers)
    assert [r.status_code for r in ok] == [200] * 5 and batch.status_code == 200 and refused.status_code == 422
    assert log.line_of(refused.headers["X-Request-ID"])["error"] == "INVALID_REQUEST"
    time.sleep(0.1)  # the last answers' tuples are queued as their apps return
    lines = log.lines(summaries=True)
    summaries = [s for s in lines if "count" in s]  # one per second: the checks may straddle a flush

    def total(method, route):
        return sum(s["count"] for s in summaries if (s["method"], s["route"]) == (method, route))

    assert (total("GET", "/v1/eligibility"), total("POST", "/v1/eligibility/batch")) == (5, 1)
    single = next(s for s in summaries if (s["method"], s["route"]) == ("GET", "/v1/eligibility"))
    assert 0 <= single["p50_ms"] <= single["p99_ms"] <= single["max_ms"] and single["time"].endswith("Z")
    answered = {r.headers["X-Request-ID"] for r in [*ok, batch]}
    assert not [line for line in lines if line.get("request_id") in answered]


def test_other_loggers_go_through_the_same_writer_with_the_request_id(api, log):
    logger = logging.getLogger("points.test_request_log")
    handler = request_log.QueuedRecords()
    logger.addHandler(handler)
    try:
        logger.warning("person %s asked", ID_NUMBER)
        context = request_log.RequestContext("in-a-request-1")
        token = request_log.CURRENT.set(context)
        try:
            logger.error("failed", exc_info=ValueError(ID_NUMBER))
        finally:
            request_log.CURRENT.reset(token)
    finally:
        logger.removeHandler(handler)
    records = [line for line in log.lines() if line.get("logger") == "points.test_request_log"]
    assert [(r["level"], r["message"], r.get("request_id")) for r in records] == [
        ("WARNING", "person 110105***********4 asked", None), ("ERROR", "failed", "in-a-request-1")]
    assert "ValueError: 110105***********4" in records[1]["exception"]


def test_an_unhandled_failure_answers_500_with_its_id_and_is_logged(api, log):
    def boom():
        raise RuntimeError("boom")

    api.app.add_api_route("/boom-for-test", boom)
    client = TestClient(api.app, raise_server_exceptions=False)  # no second lifespan: the app is running
    r = client.get("/boom-for-test", headers={"X-Request-ID": "failing-request-1"})
    assert (r.status_code, r.headers["X-Request-ID"]) == (500, "failing-request-1")
    assert log.line_of("failing-request-1")["status"] == 500


def test_points_serve_runs_workers_that_log_json_lines(tmp_path):
    with running_server(tmp_path, workers=2) as server:
        r = httpx.get(f"{server.url}/v1/eligibility?code={CODE}&date=2026-02-20",
                      headers={"X-API-Key": server.token, "X-Request-ID": "two-workers-1"})
        assert (r.status_code, r.headers["X-Request-ID"]) == (200, "two-workers-1")
        assert httpx.get(f"{server.url}/v1/eligibility?code=bad&date=2026-02-20",
                         headers={"X-API-Key": server.token, "X-Request-ID": "two-workers-2"}).status_code == 422
    lines = [json.loads(line) for line in server.log_text().splitlines()]  # every line is one JSON object
    started = {line["message"] for line in lines if line.get("message", "").startswith("Started server process")}
    assert len(started) == 2, server.log_text()
    refused = [line for line in lines if line.get("request_id") == "two-workers-2"]
    assert [(line["status"], line["error"], line["role"]) for line in refused] == [(422, "INVALID_CODE", "settlement")]
    assert any(line.get("count") and line["route"] == "/v1/eligibility" for line in lines)  # the summary
