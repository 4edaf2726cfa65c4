"""A batch of more lines than one piece is streamed: the same answers, in order, as the same lines asked in small
batches; a body that is not all typed lines answers the same way, line by line."""
import json

from api.auth.tokens import Role
from api.eligibility.batch import CHUNK_LINES
from tests.app.conftest import case
from tests.app.test_fast_path_snapshot import loaded

CODES = ("D110105000123", "D110105000124")


def test_a_large_batch_is_streamed_with_the_answers_of_small_ones(api, people):
    r = api.client.post("/v1/practitioners", headers=people, json={
        "code": CODES[1], "name": "李娜", "category": "medical", "institution_code": "H11010500001",
        "registered_on": "2026-01-20"})
    assert r.status_code == 201, r.text
    case(api, people, 9, "2026-02-10", violation="S01", code=CODES[0])
    loaded(api.app, CODES)
    settle = api.token(Role.SETTLEMENT, "000000")
    days = [f"2026-{m:02d}-{d:02d}" for m in (1, 2, 3) for d in (1, 9, 10, 11, 28)]
    lines = [{"ref": f"L{i}", "code": CODES[i % 2], "date": days[i % len(days)], "emergency": i // 2 % 2 == 0}
             for i in range(CHUNK_LINES * 2 + 5)]
    lines[CHUNK_LINES] = {"ref": "odd", "code": "bad", "date": "2026-01-01"}  # first line of the second piece
    lines[-1] = {"ref": "last", "code": CODES[0], "date": "2026-02-31"}

    whole = api.client.post("/v1/eligibility/batch", headers=settle, json=lines)
    assert whole.status_code == 200 and "content-length" not in whole.headers  # streamed
    assert whole.headers["content-type"] == "application/json"
    small = []
    for first in range(0, len(lines), 1000):
        r = api.client.post("/v1/eligibility/batch", headers=settle, json=lines[first:first + 1000])
        assert r.status_code == 200 and int(r.headers["content-length"]) == len(r.content)
        small += r.json()
    assert whole.json() == small
    answers = whole.json()
    assert [a["ref"] for a in answers] == [line["ref"] for line in lines]
    assert answers[CHUNK_LINES]["error"]["code"] == "INVALID_CODE"
    assert answers[-1]["error"]["code"] == "INVALID_DATE"
    suspended = [a for a, line in zip(answers, lines) if line["code"] == CODES[0] and line["date"] == "2026-02-11"]
    assert suspended and all(a["status"] == "suspended" for a in suspended)
    assert {a["eligible"] for a in suspended} == {True, False}  # emergency care exempt, else not

    generic = [*lines[:-1], {"ref": "last", "code": CODES[0], "date": 20260211}]  # not all typed lines
    r = api.client.post("/v1/eligibility/batch", headers=settle, content=json.dumps(generic))
    assert r.status_code == 200
    assert r.json()[:-1] == answers[:-1] and r.json()[-1]["error"]["code"] == "INVALID_DATE"


def test_bodies_refused_before_are_refused_still(api, people):
    """Fields other than a line's own send the body to the generic parse, which checks what they hold; typed lines
    repeating a field until the body holds more values than a batch may are counted first, as any body is."""
    settle = api.token(Role.SETTLEMENT, "000000")
    loaded(api.app, CODES[:1])
    line = b'{"code":"D110105000123","date":"2026-02-10"'
    for body, expected in ((b"[" + line + b',"x":' + b"[" * 1000 + b"]" * 1000 + b"}]", 422),
                           (b"[" + line + b',"x":"\xff"}]', 422),
                           (b"[" + line + b',"x":' + b"9" * 5000 + b"}]", 422),
                           (b"[" + b",".join([line + b',"ref":""' * 100 + b"}"] * 20_000) + b"]", 413)):
        r = api.client.post("/v1/eligibility/batch", headers=settle, content=body)
        assert r.status_code == expected, (body[:80], r.text[:200])
        assert r.json()["error"]["code"] == ("INVALID_REQUEST" if expected == 422 else "BATCH_TOO_LARGE")
    r = api.client.post("/v1/eligibility/batch", headers=settle, content=b"[" + line + b',"x":[[1]]}]')
    assert r.status_code == 200 and r.json()[0]["eligible"] is True  # other fields are still ignored


def test_an_http_1_0_client_gets_the_whole_answer_with_its_length(api, people):
    """HTTP/1.0 has no chunked transfer: a large answer is sent whole, with Content-Length."""
    from fastapi.testclient import TestClient

    loaded(api.app, CODES[:1])

    async def as_http_1_0(scope, receive, send):
        if scope["type"] == "lifespan":  # the app's own lifespan runs under the api fixture's client
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            return await send({"type": "lifespan.shutdown.complete"})
        await api.app({**scope, "http_version": "1.0"}, receive, send)

    settle = api.token(Role.SETTLEMENT, "000000")
    lines = [{"ref": str(i), "code": CODES[0], "date": "2026-02-10"} for i in range(CHUNK_LINES + 1)]
    with TestClient(as_http_1_0, base_url="http://127.0.0.1") as old:
        r = old.post("/v1/eligibility/batch", headers=settle, json=lines)
    assert r.status_code == 200 and int(r.headers["content-length"]) == len(r.content)
    assert r.json() == api.client.post("/v1/eligibility/batch", headers=settle, json=lines).json()
