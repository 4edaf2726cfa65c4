"""The status feed and the standings export over HTTP: sanctions decided before they start, then started, then
ended, in order and with their dates; region scoping; paging while changes are written; the export's cursor
continuing into the feed. The daily status job is run as the scheduler runs it."""
import csv
import io
import json
from datetime import date

import pytest
from sqlmodel import Session

from api.auth.tokens import Role
from api.feed.service import FEED_FILTERS
from api.ledger.status import refresh_statuses
from api.pagination import encode_cursor
from tests.app.conftest import case

CODE = "D110105000123"  # Beijing physician registered at H11010500001 (the `people` fixture)
TIANJIN = "D120101000009"
SHANGHAI = "D310101000007"


def feed(api, headers, since=None, limit=100, expect=200):
    params = {"limit": limit, **({"since": since} if since else {})}
    r = api.client.get("/v1/status-changes", headers=headers, params=params)
    assert r.status_code == expect, r.text
    return r.json()


def walk(api, headers, since=None, limit=1000):
    """Every change after `since`, page by page; the cursor to poll with afterwards."""
    items = []
    while True:
        page = feed(api, headers, since, limit)
        items += page["items"]
        since = page["next_cursor"]
        if not page["has_more"]:
            return items, since


def run_day(api, day: date) -> None:
    """The scheduler's daily status job on `day`."""
    api.clock.today = day
    with Session(api.engine) as session:
        refresh_statuses(session, api.app.state.policy, day)
        session.commit()


def settlement(api, scope="110000", name=None):
    return api.token(Role.SETTLEMENT, scope, name or f"结算-{scope}")


def brief(item) -> tuple:
    return (item["kind"], item["previous_status"], item["status"], item["starts_on"], item["until"],
            item["effective_on"])


def test_a_suspension_is_in_the_feed_when_decided_then_corrected_started_and_ended(api, people):
    settle = settlement(api)
    seen, cursor = walk(api, settle)
    assert [(i["kind"], i["practitioner_code"], i["status"]) for i in seen] == [("effective", CODE, "normal")]

    # decided today (1 March), by today's decision: it starts tomorrow; nothing takes effect today
    r = case(api, people, 9, "2026-03-01", violation="S01")
    assert r.status_code == 201, r.text
    record = r.json()[0]["id"]
    decided, cursor = walk(api, settle, cursor)
    assert [brief(i) for i in decided] == [
        ("decided", "normal", "suspended", "2026-03-02", "2026-04-01", "2026-03-01")]
    sanction = decided[0]["sanction_id"]
    assert sanction and decided[0]["type"] == "sanction.decided" and decided[0]["practitioner_code"] == CODE

    r = api.client.post(f"/v1/practitioners/{CODE}/suspension-decisions", headers=people, json={
        "trigger_record_id": record, "months": 3, "decided_on": "2026-03-01", "reason": "情节较重"})
    assert r.status_code == 201, r.text
    corrected, cursor = walk(api, settle, cursor)
    assert [brief(i) for i in corrected] == [
        ("corrected", "normal", "suspended", "2026-03-02", "2026-06-01", "2026-03-01")]
    assert corrected[0]["sanction_id"] == sanction

    run_day(api, date(2026, 3, 2))
    started, cursor = walk(api, settle, cursor)
    assert [brief(i) for i in started] == [
        ("effective", "normal", "suspended", "2026-03-02", "2026-06-01", "2026-03-02")]
    assert started[0]["type"] == "status.changed" and started[0]["cause"] == "calendar"

    run_day(api, date(2026, 6, 1))  # the last suspended day: nothing changes
    assert walk(api, settle, cursor)[0] == []
    run_day(api, date(2026, 6, 2))
    ended, cursor = walk(api, settle, cursor)
    assert [brief(i) for i in ended] == [("effective", "suspended", "normal", "2026-06-02", None, "2026-06-02")]

    everything, _ = walk(api, settle)
    assert everything == seen + decided + corrected + started + ended  # one order, however it is read
    seqs = [i["seq"] for i in everything]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert all(i["recorded_at"].endswith("Z") for i in everything)


def test_a_termination_is_decided_with_its_ban_and_an_annulment_lifts_a_running_suspension(api, people):
    settle = settlement(api)
    _, cursor = walk(api, settle)
    r = case(api, people, 9, "2026-02-10", violation="S01")  # decided in February: running today
    assert r.status_code == 201, r.text
    record = r.json()[0]["id"]
    items, cursor = walk(api, settle, cursor)
    assert [brief(i) for i in items] == [
        ("decided", "normal", "suspended", "2026-02-11", "2026-03-10", "2026-03-01"),
        ("effective", "normal", "suspended", "2026-03-01", "2026-03-10", "2026-03-01")]

    r = api.client.post(f"/v1/records/{record}/reviews", headers=people,
                        json={"outcome": "annul", "decided_on": "2026-03-01", "reason": "复核: 证据不足"})
    assert r.status_code == 201, r.text
    items, cursor = walk(api, settle, cursor)
    assert [brief(i) for i in items] == [
        ("lifted", "suspended", "suspended", "2026-02-11", None, "2026-03-01"),
        ("effective", "suspended", "normal", "2026-03-01", None, "2026-03-01")]
    assert items[0]["type"] == "sanction.lifted"

    assert case(api, people, 12, "2026-03-01", violation="F01", number="终止-1").status_code == 201
    items, cursor = walk(api, settle, cursor)
    assert [brief(i) for i in items] == [
        ("decided", "normal", "banned", "2026-03-02", "2029-03-01", "2026-03-01")]  # one record of 12: 3 years
    run_day(api, date(2026, 3, 2))
    items, _ = walk(api, settle, cursor)
    assert [brief(i) for i in items] == [("effective", "normal", "banned", "2026-03-02", "2029-03-01", "2026-03-02")]


# --- who sees what -------------------------------------------------------------------------------------------

@pytest.fixture
def regions(api, people):
    """Beijing's physician; a Tianjin physician also registered in Beijing (多点执业); a Shanghai physician.
    Each then gets a suspension decided."""
    tianjin, shanghai = api.token(Role.SUPERVISOR, "120000"), api.token(Role.SUPERVISOR, "310000")
    for sup, code, name, region in ((tianjin, "H12010100001", "和平医院", "120101"),
                                    (shanghai, "H31010100001", "黄浦医院", "310101")):
        assert api.client.post("/v1/institutions", headers=sup, json={
            "code": code, "name": name, "kind": "hospital", "region": region}).status_code == 201
    for sup, code, at in ((tianjin, TIANJIN, "H12010100001"), (shanghai, SHANGHAI, "H31010100001")):
        assert api.client.post("/v1/practitioners", headers=sup, json={
            "code": code, "name": "某医生", "category": "medical", "institution_code": at,
            "registered_on": "2025-01-01"}).status_code == 201
    assert api.client.post("/v1/registrations", headers=people, json={
        "practitioner_code": TIANJIN, "institution_code": "H11010500001", "starts_on": "2026-03-01"}).status_code == 201
    for sup, code, at in ((people, CODE, "H11010500001"), (tianjin, TIANJIN, "H12010100001"),
                          (shanghai, SHANGHAI, "H31010100001")):
        r = case(api, sup, 9, "2026-03-01", violation="S01", code=code, number=f"案-{code}", institution_code=at)
        assert r.status_code == 201, r.text
    return {"tianjin": tianjin, "shanghai": shanghai}


def codes(api, headers) -> set[str]:
    return {i["practitioner_code"] for i in walk(api, headers)[0]}


def test_each_region_sees_its_people_and_those_registered_there_and_national_sees_all(api, people, regions):
    assert codes(api, settlement(api, "110000")) == {CODE, TIANJIN}  # Tianjin's, registered in Beijing too
    assert codes(api, settlement(api, "110105")) == {CODE, TIANJIN}  # the county of that institution
    assert codes(api, settlement(api, "120000")) == {TIANJIN}
    assert codes(api, settlement(api, "310000")) == {SHANGHAI}
    assert codes(api, settlement(api, "440000")) == set()
    assert codes(api, settlement(api, "000000")) == {CODE, TIANJIN, SHANGHAI}
    assert codes(api, regions["shanghai"]) == {SHANGHAI}  # supervisors likewise
    assert codes(api, people) == {CODE, TIANJIN}
    # everything the Tianjin physician went through, also before the Beijing registration, reaches Beijing
    beijing = [i for i in walk(api, settlement(api))[0] if i["practitioner_code"] == TIANJIN]
    assert [i["kind"] for i in beijing] == ["effective", "decided"]


def test_practitioners_and_institutions_may_not_read_the_feed_or_the_export(api, people):
    for headers in (api.token(Role.PRACTITIONER, CODE), api.token(Role.INSTITUTION, "H11010500001")):
        for url in ("/v1/status-changes", "/v1/standings/export"):
            r = api.client.get(url, headers=headers)
            assert (r.status_code, r.json()["error"]["code"]) == (403, "ROLE_NOT_ALLOWED"), url
    assert api.client.get("/v1/status-changes").status_code == 401


# --- paging --------------------------------------------------------------------------------------------------

def register(api, people, n: int, start: int) -> None:
    for i in range(start, start + n):
        r = api.client.post("/v1/practitioners", headers=people, json={
            "code": f"D110105000{i}", "name": "新人", "category": "medical", "institution_code": "H11010500001",
            "registered_on": "2025-01-01"})
        assert r.status_code == 201, r.text


def test_pages_have_no_repeats_and_no_gaps_while_changes_are_written_between_them(api, people):
    settle = settlement(api)
    register(api, people, 6, start=201)
    seen, cursor, written = [], None, 0
    while True:
        page = feed(api, settle, cursor, limit=2)
        assert len(page["items"]) <= 2
        seen += page["items"]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            break
        if written < 5:  # a change after every page, for a while
            register(api, people, 1, start=301 + written)
            written += 1
    everything = feed(api, settle, limit=1000)["items"]
    assert len(everything) == 1 + 6 + 5
    assert [i["seq"] for i in seen] == [i["seq"] for i in everything]  # each once, in order, none missing
    assert seen == everything

    # polling: an empty page gives back the same cursor; the next change comes after it
    again = feed(api, settle, cursor)
    assert (again["items"], again["next_cursor"], again["has_more"]) == ([], cursor, False)
    assert again["next"].startswith("/v1/status-changes?") and "limit=100" in again["next"]
    register(api, people, 1, start=401)
    r = api.client.get(again["next"], headers=settle)  # the `next` link, followed as given
    assert [i["practitioner_code"] for i in r.json()["items"]] == ["D110105000401"]


def test_changes_elsewhere_move_an_idle_cursor_on_without_showing_anything(api, people, regions):
    shanghai = settlement(api, "310000")
    items, cursor = walk(api, shanghai)
    register(api, people, 3, start=501)  # Beijing people only
    page = feed(api, shanghai, cursor)
    assert page["items"] == [] and page["has_more"] is False
    moved = page["next_cursor"]
    assert moved != cursor  # past the Beijing changes: the next poll does not read them again
    assert feed(api, shanghai, moved)["next_cursor"] == moved
    assert case(api, regions["shanghai"], 1, "2026-03-01", violation="L01", code=SHANGHAI, number="沪-2",
                institution_code="H31010100001").status_code == 201  # no change of standing: 1 point
    assert feed(api, shanghai, moved)["items"] == []


def test_cursors_made_otherwise_are_refused(api, people):
    settle = settlement(api)
    huge = encode_cursor((10**30,), FEED_FILTERS)  # well formed, with the right filters, but no such position
    for bad in ("not-a-cursor", "eyJrIjpbIngiXSwiZiI6IjAifQ", huge, encode_cursor((-1,), FEED_FILTERS)):
        r = api.client.get("/v1/status-changes", headers=settle, params={"since": bad})
        assert (r.status_code, r.json()["error"]["code"]) == (422, "CURSOR_INVALID")
    register(api, people, 1, start=601)
    other = api.client.get("/v1/practitioners", headers=people, params={"limit": 1}).json()["next_cursor"]
    assert other  # another list's cursor
    r = api.client.get("/v1/status-changes", headers=settle, params={"since": other})
    assert (r.status_code, r.json()["error"]["code"]) == (422, "CURSOR_INVALID")


# --- the export ----------------------------------------------------------------------------------------------

def ndjson(api, headers):
    r = api.client.get("/v1/standings/export", headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in r.text.splitlines()]
    return r.headers["X-Points-Feed-Cursor"], lines[0], lines[1:-1], lines[-1]


def test_the_export_then_the_feed_from_its_cursor_sees_what_changed_after(api, people, regions):
    settle = settlement(api)
    cursor, first, rows, last = ndjson(api, settle)
    assert first["feed_cursor"] == cursor == last["feed_cursor"] and first["version"] == 1
    assert last == {"end": True, "rows": 2, "feed_cursor": cursor}
    assert [r["code"] for r in rows] == [CODE, TIANJIN]  # Beijing's region: no Shanghai physician
    mine = rows[0]
    assert (mine["status"], mine["until"]) == ("normal", None)
    assert [(s["status"], s["starts_on"], s["until"]) for s in mine["sanctions"]] == [
        ("suspended", "2026-03-02", "2026-04-01")]  # decided, starts tomorrow
    assert feed(api, settle, cursor)["items"] == []  # the export holds everything up to its cursor

    r = api.client.post(f"/v1/practitioners/{CODE}/suspension-decisions", headers=people, json={
        "year": 2026, "months": 2, "decided_on": "2026-03-01", "reason": "情节"})
    assert r.status_code == 201, r.text
    run_day(api, date(2026, 3, 2))
    items, _ = walk(api, settle, cursor)
    assert [(i["practitioner_code"], i["kind"], i["until"]) for i in items[:1]] == [(CODE, "corrected", "2026-05-01")]
    assert {(i["practitioner_code"], i["kind"], i["until"]) for i in items[1:]} == {  # the day's job, one by one
        (CODE, "effective", "2026-05-01"), (TIANJIN, "effective", "2026-04-01")}
    assert items[0]["sanction_id"] == mine["sanctions"][0]["sanction_id"]

    _, _, rows, _ = ndjson(api, settle)  # a new export agrees with the cache kept from the feed
    assert [(r["code"], r["status"], r["until"]) for r in rows] == [
        (CODE, "suspended", "2026-05-01"), (TIANJIN, "suspended", "2026-04-01")]


def test_the_csv_export_has_the_same_rows_and_ends_with_the_cursor(api, people, regions):
    settle = settlement(api, "000000")
    r = api.client.get("/v1/standings/export", headers=settle, params={"format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0] == ["code", "status", "until", "sanctions"]
    assert rows[-1] == ["#end", "3", r.headers["X-Points-Feed-Cursor"]]
    body = {row[0]: row[1:] for row in rows[1:-1]}
    assert set(body) == {CODE, TIANJIN, SHANGHAI}
    status, until, sanctions = body[SHANGHAI]
    assert (status, until) == ("normal", "") and sanctions.endswith(":suspended:2026-03-02:2026-04-01")
    r = api.client.get("/v1/standings/export", headers=settle, params={"format": "xml"})
    assert r.status_code == 422
