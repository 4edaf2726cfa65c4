"""No national ID number is stored, echoed or logged, however it is written: every free-text input of every
write route, page form and import masks it; identifiers that must stay exact (claim refs, webhook URLs) refuse
it; the log filter masks it without breaking uvicorn's access log; a migration masks what was stored before."""
import contextlib
import io
import json
import logging
import re
import unicodedata
from urllib.parse import quote, unquote_plus

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import MetaData, String, create_engine, select, text
from sqlmodel import Session
from uvicorn.logging import AccessFormatter

from alembic import command
from api.auth.service import issue_token
from api.auth.tokens import Role
from api.db.migrate import alembic_config, upgrade
from api.logs import MaskIdNumbers, install_masking
from api.practitioners.importer import import_practitioners
from api.webhooks.schemas import SubscriptionIn
from tests.app.test_pages import hidden, login, sign_in
from tests.security.server import running_server

pytestmark = pytest.mark.db

# One ID number written every way that used to slip past the mask, and a second one with an X check digit.
VARIANTS = (
    "110105199001011234",
    "ID110105199001011234",
    "身份证110105 19900101 1234",
    "110105-19900101-1234",
    "１１０１０５１９９００１０１１２３４",
    "1101 0519 9001 0112 34",
    "４４０３０６１９８５１２３１００２Ｘ",
    "44030619851231002x",
)
HIDDEN = ("19900101123", "19851231002")  # the birth date and sequence the mask must remove
MASKED = ("110105***********4", "440306***********X")


def leaks(value) -> bool:
    """Whether the digits of a text (URL-decoded; full-width or not; separators or not) still hold a birth
    date and sequence."""
    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", unquote_plus(str(value))))
    return any(h in digits for h in HIDDEN)


def _is_text(column_type) -> bool:
    """VARCHAR and TEXT, also behind a type decorator (SQLModel's AutoString)."""
    return isinstance(column_type, String) or isinstance(getattr(column_type, "impl", None), String)


def every_text_cell(engine) -> list[tuple[str, str, str]]:
    """(table, column, value) of every string column of every table, as the database has them (reflected, so
    it also reads a database at an older revision)."""
    cells = []
    reflected = MetaData()
    reflected.reflect(engine)
    with engine.connect() as conn:
        for table in reflected.sorted_tables:
            columns = [c for c in table.columns if _is_text(c.type)]
            for row in conn.execute(select(*columns)) if columns else ():
                cells += [(table.name, c.name, v) for c, v in zip(columns, row) if v]
    return cells


class Sweep:
    """Sends requests, keeping every answer so none can echo an ID number either."""

    def __init__(self, api):
        self.api, self.answers = api, []

    def send(self, method: str, path: str, expect: int | tuple, headers: dict | None = None,
             **kwargs) -> httpx.Response:
        r = self.api.client.request(method, path, headers=headers, follow_redirects=False, **kwargs)
        self.answers.append((method, path, r))
        assert r.status_code in (expect if isinstance(expect, tuple) else (expect,)), (
            method, path, r.status_code, r.text[:300])
        return r


def idem(headers: dict, key: str) -> dict:
    return {**headers, "Idempotency-Key": key.encode()}  # as UTF-8 bytes: full-width too


def test_an_id_number_in_any_form_is_stored_nowhere_and_echoed_never(api, people, policy):
    sweep, sup = Sweep(api), people
    tianjin = api.token(Role.SUPERVISOR, "120000", "天津市医保局")
    settlement = api.token(Role.SETTLEMENT, "110000", "北京结算")
    sweep.send("POST", "/v1/institutions", 201, tianjin, json={
        "code": "H12010100001", "name": "和平医院", "kind": "hospital", "region": "120101"})
    for i, v in enumerate(VARIANTS):
        person, tj_person = f"D110105{700 + i:06d}", f"D120101{700 + i:06d}"
        sweep.send("POST", "/v1/institutions", 201, idem(sup, f"i{i}"), json={
            "code": f"H110105{90 + i:05d}", "name": f"医院{v}", "kind": "hospital", "region": "110105"})
        sweep.send("POST", "/v1/practitioners", 201, idem(sup, f"p{i}"), json={
            "code": person, "name": f"张{v}", "category": "medical", "institution_code": "H11010500001",
            "registered_on": "2025-01-01"})
        record = sweep.send("POST", "/v1/cases", 201, idem(sup, f"c{i}"), json={
            "violation_code": "S01", "decision_date": "2026-02-01", "case_number": f"京{v}号",
            "authority": f"{v}医保局", "institution_code": "H11010500001",
            "people": [{"practitioner_code": person, "points": 9}]}).json()[0]
        sweep.send("POST", f"/v1/practitioners/{person}/suspension-decisions", 201, idem(sup, f"s{i}"), json={
            "year": 2026, "months": 2, "decided_on": "2026-02-10", "reason": f"理由{v}"})
        own = api.token(Role.PRACTITIONER, person, "本人")
        sweep.send("POST", "/v1/me/objections", 201, idem(own, f"o{i}"), json={
            "record_id": record["id"], "reason": f"本人身份证号{v}"})
        sweep.send("POST", f"/v1/records/{record['id']}/reviews", 201, idem(sup, f"r{i}"), json={
            "outcome": "confirm", "decided_on": "2026-02-20", "reason": f"复核{v}"})
        sweep.send("POST", "/v1/practitioners", 201, tianjin, json={
            "code": tj_person, "name": "李四", "category": "medical", "institution_code": "H12010100001",
            "registered_on": "2025-01-01"})
        sweep.send("POST", "/v1/cases", 201, tianjin, json={
            "violation_code": "L01", "decision_date": "2026-02-01", "case_number": f"津{i}",
            "authority": "天津市医保局", "institution_code": "H12010100001",
            "people": [{"practitioner_code": tj_person, "points": 2}]})
        sweep.send("POST", f"/v1/practitioners/{tj_person}/repairs", 201, idem(tianjin, f"t{i}"), json={
            "activity_date": "2026-02-15", "activity": f"宣传{v}"})
        # identifiers that must stay exact refuse it; codes that cannot hold one are answered without echoing it
        sweep.send("POST", "/v1/claims", 422, settlement, json=[{
            "ref": f"R-{v}", "institution_code": "H11010500001", "practitioner_code": "D110105000123",
            "service_date": "2026-02-01", "amount": "1.00"}])
        line = sweep.send("POST", "/v1/claims", 200, idem(settlement, f"c{i}"), json=[{
            "ref": f"C{i}", "institution_code": "H11010500001", "practitioner_code": v,
            "service_date": "2026-02-01", "amount": "1.00"}]).json()[0]
        assert "error" in line
        sweep.send("POST", f"/v1/claims/{quote(v)}/payment", 404, settlement)
        sweep.send("POST", "/v1/webhooks", 422, settlement, json={"url": f"https://hooks.example.cn/p?id={v}"})
        sweep.send("POST", "/v1/eligibility/batch", 200, settlement, json=[
            {"ref": v, "code": v, "date": v}, {"ref": f"L{v}", "code": "D110105000123", "date": "2026-03-01"}])
        sweep.send("GET", f"/v1/eligibility?code={quote(v)}&date=2026-03-01", 422, settlement)
        sweep.send("GET", f"/v1/practitioners/{quote(v)}", (404, 422), sup)
        r = sweep.send("POST", "/v1/cases", 422, idem(sup, f"key-{v}"), json={})  # a key is stored: refused
        assert r.json()["error"]["code"] == "INVALID_IDEMPOTENCY_KEY"

    # the pages: a supervisor records and searches, a practitioner objects, a token typed as an ID number
    sign_in(api)
    for i, v in enumerate(VARIANTS):
        person = f"D110105{700 + i:06d}"
        page = api.client.get(f"/ui/people/{person}/record").text
        r = sweep.send("POST", f"/ui/people/{person}/record", 303, data={
            "csrf": hidden(page, "csrf"), "form_key": hidden(page, "form_key"), "violation_code": "L01", "points": "1",
            "responsibility": "main", "decision_date": "2026-02-25", "case_number": f"页{v}",
            "authority": f"页{v}", "institution_code": "H11010500001"})
        assert r.headers["location"] == f"/ui/people/{person}?done=recorded", r.headers["location"]
        sweep.send("GET", "/ui/people", 200, params={"q": v})
    for i, v in enumerate(VARIANTS):
        person = f"D110105{700 + i:06d}"
        sign_in(api, Role.PRACTITIONER, person, "本人")
        record_id = max(r["id"] for r in api.client.get("/v1/practitioners/" + person, headers=sup).json()["records"])
        page = api.client.get(f"/ui/me/records/{record_id}/objection").text
        r = sweep.send("POST", f"/ui/me/records/{record_id}/objection", 303, data={
            "csrf": hidden(page, "csrf"), "form_key": hidden(page, "form_key"), "reason": f"页面异议{v}"})
        assert r.headers["location"] == "/ui/me?done=objected", r.headers["location"]
        sweep.answers.append(("POST", "/ui/login", login(api, v)))

    # the CSV import and tokens issued from the command line
    rows = ["code,name,category,institution_code,registered_on"] + [
        f"D110105{800 + i:06d},\"王{v}\",medical,H11010500001,2025-01-01" for i, v in enumerate(VARIANTS)] + [
        f"{v},名,medical,{v},2025-01-01" for v in VARIANTS]
    with Session(api.engine) as session:
        report = import_practitioners(session, f"导入{VARIANTS[3]}", [r + "\n" for r in rows], policy,
                                      api.clock.today)
        for v in VARIANTS:
            issue_token(session, b"k" * 32, "cli", Role.SETTLEMENT, "110000", f"系统{v}")
        session.commit()
    assert report.registrations_created == len(VARIANTS) and len(report.errors) == len(VARIANTS)
    assert not any(leaks(e.message) for e in report.errors)

    echoed = [(m, p, r.text[:200]) for m, p, r in sweep.answers if leaks(r.text)]
    assert echoed == []
    stored = [cell for cell in every_text_cell(api.engine) if leaks(cell[2])]
    assert stored == []
    # and the masked forms are there: the inputs were stored, not dropped
    cells = " ".join(str(v) for _, _, v in every_text_cell(api.engine))
    for shape in ("医院{}", "张{}", "京{}号", "{}医保局", "理由{}", "本人身份证号{}", "复核{}", "宣传{}", "页{}",
                  "页面异议{}", "王{}", "系统{}", "导入{}"):
        assert shape.format(MASKED[0]) in cells, shape


def test_claim_refs_and_webhook_urls_refuse_an_id_number_rather_than_change_it():
    for v in ("https://hooks.example.cn/p/110105-19900101-1234", "https://h.example.cn/?id=ID44030619851231002X"):
        with pytest.raises(ValidationError, match="national ID number"):
            SubscriptionIn(url=v)
    assert SubscriptionIn(url="https://hooks.example.cn/p/2026-03-01/123").url.endswith("/123")


# --- logs --------------------------------------------------------------------------------------------------

def test_uvicorns_access_line_keeps_its_format_with_the_id_number_masked():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s', use_colors=False))
    logger = logging.getLogger("test.privacy.access")
    logger.addHandler(handler)
    logger.addFilter(MaskIdNumbers())
    logger.propagate = False
    logger.setLevel(logging.INFO)
    errors = io.StringIO()  # where logging reports a record it failed to format
    try:
        with contextlib.redirect_stderr(errors):
            for path in ("/v1/practitioners/ID110105199001011234", "/ui/people?q=110105%2019900101%201234",
                         "/ui/people?q=%EF%BC%91", "/v1/eligibility?code=４４０３０６１９８５１２３１００２Ｘ"):
                logger.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", path, "1.1", 404)
    finally:
        logger.removeHandler(handler)
    lines = stream.getvalue().splitlines()
    assert errors.getvalue() == "" and len(lines) == 4, errors.getvalue()
    assert lines[0] == '127.0.0.1:5000 - "GET /v1/practitioners/ID110105***********4 HTTP/1.1" 404 Not Found'
    assert "440306***********X" in lines[3] and not any(leaks(line) for line in lines[:2] + lines[3:])


def test_the_filter_masks_numbers_logged_as_numbers_and_in_tracebacks(caplog):
    install_masking()
    logger = logging.getLogger("points.scheduler.jobs")  # a child: its records reach only the handlers
    with caplog.at_level(logging.INFO):
        logger.info("id %d", 110105199001011234)
        try:
            raise ValueError("bad 110105-19900101-1234")
        except ValueError:
            logger.exception("failed for %s", "44030619851231002X")
    assert "110105***********4" in caplog.text and not leaks(caplog.text)
    for handler in logging.getLogger().handlers:
        assert any(isinstance(f, MaskIdNumbers) for f in handler.filters)


def test_the_real_servers_request_log_has_no_query_and_no_number(tmp_path):
    with running_server(tmp_path) as server:
        key = {"X-API-Key": server.token}
        for path in ("/v1/practitioners/ID110105199001011234", "/v1/nowhere/ID110105199001011234",
                     "/v1/eligibility?code=110105-19900101-1234&date=2026-03-01"):
            assert httpx.get(server.url + path, headers=key).status_code in (403, 404, 422)
    log = server.log_text()
    assert "Traceback" not in log and "Logging error" not in log, log
    lines = [json.loads(line) for line in log.splitlines()]  # one JSON object per line, uvicorn's own too
    requests = [(line["route"], line["status"]) for line in lines if line.get("route", "/healthz") != "/healthz"]
    assert requests == [("/v1/practitioners/{code}", 403), ("/v1/nowhere/ID110105***********4", 404),
                        ("/v1/eligibility", 422)], log
    assert "code=" not in log and not leaks(log)


# --- the data migration ------------------------------------------------------------------------------------

def test_the_migration_masks_what_was_stored_before(fresh_database):
    url = fresh_database()
    upgrade(url, "0010")
    engine = create_engine(url)
    now = "2026-01-01 00:00:00"
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO institution (code, name, kind, region, created_at) VALUES "
                          "('H11010500001', '医院 ID110105199001011234', 'hospital', '110105', :t)"), {"t": now})
        conn.execute(text("INSERT INTO practitioner (code, name, category, region, created_at, status, ledger_version, "
                          "claims_version, tally, standing_version) VALUES ('D110105000001', '王伟', 'medical', "
                          "'110105', :t, 'normal', 0, 0, 0, 0)"), {"t": now})
        conn.execute(text("INSERT INTO point_record (violation_code, points, responsibility, decision_date, "
                          "case_number, authority, practitioner_id, institution_id, recorded_by, recorded_at, "
                          "authority_region) "
                          "VALUES ('L01', 1, 'main', '2026-01-01', '京 110105 19900101 1234', "
                          "'１１０１０５１９９００１０１１２３４局', 1, 1, 'x', :t, '110105')"), {"t": now})
        conn.execute(text("INSERT INTO notification (recipient_kind, recipient_code, subject_code, kind, message, "
                          "created_at) VALUES ('practitioner', 'D110105000001', 'D110105000001', 'record', "
                          "'记分告知 110105-19900101-1234', :t)"), {"t": now})
        for ref in ("R110105199001011234", "R110105199002021234"):  # masked alike: they must stay two claims
            conn.execute(text("INSERT INTO claim (ref, client, institution_code, practitioner_code, service_date, "
                              "emergency, amount, state, reason, submitted_at, updated_at) VALUES (:r, 'c1', "
                              "'H11010500001', 'D110105000001', '2026-01-01', false, 1, 'payable', 'ELIGIBLE', "
                              ":t, :t)"),
                         {"r": ref, "t": now})
        conn.execute(text("INSERT INTO webhook_subscription (owner, owner_name, region_prefix, url, secret, active, "
                          "created_at) VALUES ('c1', '系统', '11', 'https://h.example.cn/?id=110105199001011234', "
                          "'s', true, :t)"), {"t": now})
        for key in ("k-110105199001011234", "k-1"):
            conn.execute(text("INSERT INTO idempotency_record (principal, key, request_hash, status_code, body, "
                              "created_at) VALUES ('c1', :k, 'h', 201, '{\"case_number\": \"京110105-19900101-1234\"}', "
                              ":t)"), {"k": key, "t": now})
    upgrade(url, "0011")
    with engine.connect() as conn:
        cells = {(t, c): v for t, c, v in every_text_cell(engine)}
        assert not [cell for cell in cells.items() if leaks(cell[1])]
        assert cells[("point_record", "case_number")] == "京 110105***********4"
        assert cells[("point_record", "authority")] == "110105***********4局"
        refs = sorted(conn.scalars(text("SELECT ref FROM claim")))
        assert len(set(refs)) == 2 and refs[0].startswith("R110105***********4")
        assert conn.execute(text("SELECT active FROM webhook_subscription")).scalar_one() in (False, 0)
        assert conn.execute(text("SELECT key, body FROM idempotency_record")).all() == [
            ("k-1", '{"case_number": "京110105***********4"}')]
    command.downgrade(alembic_config(url), "0010")  # nothing to undo, and it does not fail
    engine.dispose()
