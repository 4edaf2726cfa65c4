"""Audit you can trust (issue 11): a chain keyed with a secret that is not in the database, a signed head kept
outside the table, every write audited with its actor, and each person's history read back (who, when, why,
before → after) by the API and `points audit show`."""
import json
import os
import re
import stat
import subprocess
import sys
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy import delete, func, select, text, update
from sqlmodel import Session

from api import audit as chain
from api.audit_head import checkpoint, head_file, verify_log
from api.auth.tokens import Role
from api.db.base import UTCDateTime
from api.db.models import AuditLog
from api.settings import Settings
from tests.app.conftest import case
from tests.app.test_access_matrix import MATRIX
from tests.conftest import wipe
from tests.db.factories import audit_chain

CODE, TIANJIN_CODE = "D110105000123", "D120104000022"
BEIJING, TIANJIN = "北京市医保局 李科长", "天津市医保局 王科长"


# --- a chain in the database, and the `points` command run against it --------------------------------------

def points_cli(engine, tmp_path, *args):
    """`points …` in a process of its own, with the same key as this process and a head file in tmp_path."""
    env = {**os.environ, "POINTS_DATABASE_URL": engine.url.render_as_string(hide_password=False),
           "POINTS_DATA_DIR": str(tmp_path), "POINTS_SECRET_KEY": chain.settings().secret_key,
           "POINTS_AUDIT_HEAD_FILE": str(tmp_path / "heads" / "audit-head.jsonl"), "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "api.cli", *args], env=env, capture_output=True, text=True,
                          timeout=120, check=False)


def newest_seq(engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.max(AuditLog.seq))) or 0


def test_removing_the_newest_entries_is_detected_against_the_signed_head(committed_engine, policy, tmp_path):
    audit_chain(committed_engine, policy, records=8)
    saved = points_cli(committed_engine, tmp_path, "audit", "checkpoint")
    assert saved.returncode == 0, saved.stdout + saved.stderr
    line = saved.stdout.strip().splitlines()[-1]
    assert json.loads(line)["seq"] == newest_seq(committed_engine)
    head = tmp_path / "heads" / "audit-head.jsonl"
    assert stat.S_IMODE(head.stat().st_mode) == 0o600 and head.read_text().strip() == line
    intact = points_cli(committed_engine, tmp_path, "audit", "verify")
    assert intact.returncode == 0 and "intact" in intact.stdout, intact.stdout

    top = newest_seq(committed_engine)
    with Session(committed_engine) as session:  # the attack: `delete … where seq > max-5`
        session.execute(delete(AuditLog).where(AuditLog.seq > top - 5))
        session.commit()
    truncated = points_cli(committed_engine, tmp_path, "audit", "verify")
    assert truncated.returncode == 1, truncated.stdout
    assert f"entries {top - 4}–{top} are missing" in truncated.stdout

    head.unlink()  # the file is gone too: the line the operator kept still tells
    given = points_cli(committed_engine, tmp_path, "audit", "verify", "--head", line)
    assert given.returncode == 1 and "are missing" in given.stdout, given.stdout


def _rechain(session, rows, hash_of, keyed):
    prev = rows[0].prev_hash
    for row in rows:
        row.prev_hash, row.keyed = prev, keyed
        row.hash = prev = hash_of(row)
    session.commit()


@pytest.mark.parametrize("forgery", ["sha256 as before", "marked unkeyed", "another key"])
def test_an_edited_row_with_the_chain_recomputed_without_the_key_is_detected(committed_engine, policy, tmp_path,
                                                                            forgery):
    audit_chain(committed_engine, policy, records=8)
    path = tmp_path / "head.jsonl"
    with Session(committed_engine) as session:
        checkpoint(session, path)
        rows = session.scalars(select(AuditLog).where(AuditLog.seq >= 3).order_by(AuditLog.seq)).all()
        rows[0].reason = "forged"
        legacy = lambda r: chain.entry_hash(r.seq, r.at, r.actor, r.action, r.entity, r.entity_id,
                                            r.reason, r.detail, r.prev_hash)
        if forgery == "another key":
            guessed = chain.audit_key(Settings(secret_key="x" * 32))
            _rechain(session, rows, lambda r: chain.hash_of(r, guessed), keyed=True)
        else:
            _rechain(session, rows, legacy, keyed=forgery == "sha256 as before")
        report = verify_log(session, path)
    assert not report.ok
    if forgery == "marked unkeyed":  # an unkeyed entry after keyed ones: rewritten without the key
        assert "broken at entry 3" in report.failures[0] and "unkeyed entry after keyed" in report.failures[0]
    else:
        assert "broken at entry 3" in report.failures[0] and "keyed hash" in report.failures[0]
    assert any("differs from the checkpoint" in f for f in report.failures)


def test_a_whole_chain_rewritten_as_unkeyed_fails(committed_engine, policy, tmp_path):
    audit_chain(committed_engine, policy, records=2)
    with Session(committed_engine) as session:
        rows = session.scalars(select(AuditLog).order_by(AuditLog.seq)).all()
        rows[1].actor = "someone else"
        _rechain(session, rows, lambda r: chain.entry_hash(r.seq, r.at, r.actor, r.action, r.entity, r.entity_id,
                                                           r.reason, r.detail, r.prev_hash), keyed=False)
        result = chain.verify_chain(session)
        assert (result.ok, result.broken_at, result.unkeyed) == (False, None, len(rows))
        assert "points audit reseal" in result.describe()


def test_a_head_line_not_signed_with_the_key_is_refused(committed_engine, policy, tmp_path):
    audit_chain(committed_engine, policy, records=1)
    path = tmp_path / "head.jsonl"
    with Session(committed_engine) as session:
        point, _ = checkpoint(session, path)
        forged = json.loads(point.line()) | {"seq": point.seq - 1}
        path.write_text(path.read_text() + json.dumps(forged) + "\n")
        report = verify_log(session, path, heads=("not a checkpoint",))
    assert not report.ok
    assert any("line 2" in f and "not signed with this audit key" in f for f in report.failures)
    assert any(f.startswith("--head: not a checkpoint line") for f in report.failures)


def test_checkpoints_are_idempotent_private_and_written_by_the_scheduler(committed_engine, policy, tmp_path):
    from scheduler.jobs import JOBS
    from scheduler.runner import Runner

    audit_chain(committed_engine, policy, records=1)
    path = head_file()
    path.unlink(missing_ok=True)
    job = next(j for j in JOBS if j.name == "audit_checkpoint")
    moments = iter(datetime(2026, 3, 1, 2, minute, tzinfo=UTC) for minute in range(0, 60, 5))
    clock = {"now": next(moments)}
    runner = Runner(committed_engine, "scheduler-a", policy, lambda: clock["now"])
    assert runner.run(job) == "succeeded"
    clock["now"] = next(moments)
    assert runner.run(job) == "idle"  # the head has not moved: nothing written
    top = newest_seq(committed_engine)
    with Session(committed_engine) as session:
        assert checkpoint(session)[1] is False
        lines = path.read_text().splitlines()
        assert len(lines) == 1 and json.loads(lines[0])["seq"] == top
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        chain.audit(session, "test", "test.write", "t", 1)
        session.commit()
    clock["now"] = next(moments)
    assert runner.run(job) == "succeeded"
    assert [json.loads(x)["seq"] for x in path.read_text().splitlines()] == [top, top + 1]


def test_the_key_is_not_in_the_database_and_is_long_enough(committed_engine, policy):
    with pytest.raises(ValidationError, match="POINTS_AUDIT_KEY must be at least 32 bytes"):
        Settings(audit_key="too short")
    previous = chain.settings()
    chain.configure(Settings(audit_key="k" * 32, secret_key=previous.secret_key))
    try:
        audit_chain(committed_engine, policy, records=1)
        with Session(committed_engine) as session:
            assert chain.verify_chain(session).ok
            assert not chain.verify_chain(session, key=chain.audit_key(previous)).ok  # POINTS_AUDIT_KEY, not derived
    finally:
        chain.configure(previous)


# --- entries written before the key ---------------------------------------------------------------------------

def _legacy_entries(session, count=3, subject="D110105000001"):
    prev = chain.GENESIS
    for seq in range(1, count + 1):
        at = datetime(2025, 6, seq, tzinfo=UTC)
        fields = {"seq": seq, "at": at, "actor": "old", "action": "practitioner.create", "entity": "practitioner",
                  "entity_id": subject, "reason": "身份证 110105 19900101 1234" if seq == 2 else "", "detail": "{}",
                  "prev_hash": prev}  # an ID number in a form the old mask missed
        prev = chain.entry_hash(**fields)
        session.add(AuditLog(**fields, hash=prev, keyed=False))
    session.flush()


def test_unkeyed_entries_fail_verify_until_resealed_and_the_reseal_is_audited(committed_engine, tmp_path):
    wipe(committed_engine)
    with Session(committed_engine) as session:
        _legacy_entries(session)
        chain.audit(session, "new", "test.write", "t", 1)  # written after the upgrade, keyed
        session.commit()
        before = verify_log(session, tmp_path / "none.jsonl")
        assert not before.ok and "entries 1–3 were written before the audit key" in before.failures[0]
    resealed = points_cli(committed_engine, tmp_path, "audit", "reseal", "--reason", "after upgrade")
    assert resealed.returncode == 0, resealed.stdout + resealed.stderr
    assert "resealed 4 entries (3 were unkeyed)" in resealed.stdout
    with Session(committed_engine) as session:
        rows = session.scalars(select(AuditLog).order_by(AuditLog.seq)).all()
        assert all(r.keyed for r in rows) and (rows[-1].action, rows[-1].actor) == ("audit.reseal", "cli")
        assert json.loads(rows[-1].detail)["unkeyed"] == 3 and rows[-1].reason == "after upgrade"
        assert "19900101" not in rows[1].reason and json.loads(rows[-1].detail)["id_numbers_masked_in"] == 1
    again = points_cli(committed_engine, tmp_path, "audit", "verify")
    assert again.returncode == 0, again.stdout
    assert "nothing to reseal" in points_cli(committed_engine, tmp_path, "audit", "reseal").stdout


def test_a_broken_chain_is_never_resealed(committed_engine, tmp_path):
    wipe(committed_engine)
    with Session(committed_engine) as session:
        _legacy_entries(session)
        session.commit()
        session.execute(update(AuditLog).where(AuditLog.seq == 2).values(actor="tampered"))
        session.commit()
    refused = points_cli(committed_engine, tmp_path, "audit", "reseal")
    assert refused.returncode == 1 and "AUDIT_CHAIN_BROKEN" in refused.stdout, refused.stdout
    with Session(committed_engine) as session:
        assert not any(session.scalars(select(AuditLog.keyed)))


def test_the_migration_needs_no_key_keeps_old_entries_unkeyed_and_names_their_person(fresh_database, tmp_path):
    from api.db.engine import make_engine
    from api.db.migrate import upgrade

    url = fresh_database()
    upgrade(url, "0007")
    engine = make_engine(url)
    try:
        old_table = sa.table("audit_log", *(sa.column(c) for c in ("seq", "actor", "action", "entity", "entity_id",
                                                                   "reason", "detail", "prev_hash", "hash")),
                             sa.column("at", UTCDateTime()))
        with engine.begin() as conn:
            prev = chain.GENESIS
            for seq, (entity, entity_id) in enumerate([("practitioner", "D110105000001"), ("claim", "R1")], 1):
                fields = {"seq": seq, "at": datetime(2025, 6, seq, tzinfo=UTC), "actor": "old", "action": "x",
                          "entity": entity, "entity_id": entity_id, "reason": "", "detail": "{}", "prev_hash": prev}
                prev = chain.entry_hash(**fields)
                conn.execute(old_table.insert().values(**fields, hash=prev))
            conn.execute(text("UPDATE change_counter SET value = 2 WHERE name = 'audit'"))  # as audit() keeps it
        upgrade(url, "head")
        with Session(engine) as session:
            rows = session.scalars(select(AuditLog).order_by(AuditLog.seq)).all()
            assert [(r.keyed, r.subject) for r in rows] == [(False, "D110105000001"), (False, None)]
            result = chain.verify_chain(session)
            assert (result.broken_at, result.unkeyed) == (None, 2)  # intact, but not keyed yet
            chain.reseal(session, "cli")
            session.commit()
            assert chain.verify_chain(session).ok
    finally:
        engine.dispose()


# --- every write is audited, naming its actor ------------------------------------------------------------------

READ_ONLY_POSTS = {("post", "/v1/eligibility/batch")}
WRITES = sorted(k for k in MATRIX if k[0] in ("post", "put", "patch", "delete") and k not in READ_ONLY_POSTS)


@pytest.fixture
def world(api, people):
    """Beijing (people), and a Tianjin person, whose rules provide repair; a claim and a subscription."""
    api.app.state.settings = api.app.state.settings.model_copy(update={"webhook_allow": "127.0.0.1"})
    record_id = case(api, people, 9, "2026-02-10", violation="S01").json()[0]["id"]
    tianjin = api.token(Role.SUPERVISOR, "120000", TIANJIN)
    for r in (api.client.post("/v1/institutions", headers=tianjin, json={
                  "code": "H12010400001", "name": "和平医院", "kind": "hospital", "region": "120104"}),
              api.client.post("/v1/practitioners", headers=tianjin, json={
                  "code": TIANJIN_CODE, "name": "张三", "category": "medical", "institution_code": "H12010400001",
                  "registered_on": "2025-01-01"}),
              case(api, tianjin, 2, "2026-02-01", violation="L01", code=TIANJIN_CODE, institution_code="H12010400001",
                   authority="天津市和平区医疗保障局")):
        assert r.status_code == 201, r.text
    settle = api.token(Role.SETTLEMENT, "110000", "北京医保结算系统")
    r = api.client.post("/v1/claims", headers=settle, json=[{"ref": "R1", "institution_code": "H11010500001",
                                                             "practitioner_code": CODE, "service_date": "2026-02-01",
                                                             "amount": "1.00"}])
    assert r.status_code == 200, r.text
    hook = api.client.post("/v1/webhooks", headers=settle, json={"url": "http://127.0.0.1:9/x"})
    assert hook.status_code == 201, hook.text
    registration = api.client.get(f"/v1/practitioners/{CODE}", headers=people).json()["registrations"][0]["id"]
    objected = case(api, people, 1, "2026-02-11", violation="L01").json()[0]["id"]  # for the evidence route
    objection = api.client.post("/v1/me/objections", headers=api.token(Role.PRACTITIONER, CODE, "王伟"),
                                json={"record_id": objected, "reason": "异议"})
    assert objection.status_code == 201, objection.text
    return {"record_id": record_id, "code": CODE, "ref": "R1", "subscription_id": hook.json()["id"],
            "settle": settle, "tianjin": tianjin, "beijing": people, "registration_id": registration,
            "objection_id": objection.json()["id"]}


def _request(api, world, method, path):
    """Who performs a write route (their token's name is the actor), where, with what body."""
    allowed, body = MATRIX[(method, path)]
    role = allowed[0]
    name = {Role.SUPERVISOR: BEIJING, Role.PRACTITIONER: "王伟", Role.SETTLEMENT: "北京医保结算系统"}.get(role, str(role))
    headers = {Role.SUPERVISOR: world["beijing"], Role.SETTLEMENT: world["settle"],
               Role.PRACTITIONER: api.token(Role.PRACTITIONER, CODE, name)}.get(role) or api.token(role, "110000", name)
    values = dict(world)
    if path == "/v1/practitioners/{code}/repairs":  # Beijing's rules provide no repair; Tianjin's do
        headers, name, values["code"] = world["tianjin"], TIANJIN, TIANJIN_CODE
    if body is not None and not isinstance(body, list) and "record_id" in body:
        body = {**body, "record_id": world["record_id"]}
    url = re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), path)
    if path.endswith("/evidence"):  # multipart: a file
        return name, lambda: api.client.post(url, headers=headers, files=[("files", ("a.pdf", b"%PDF-1.7 x"))])
    return name, lambda: api.client.request(method.upper(), url, headers=headers, json=body)


@pytest.mark.parametrize("method,path", WRITES)
def test_every_successful_write_route_adds_an_audit_entry_naming_its_actor(api, world, method, path):
    actor, send = _request(api, world, method, path)
    before = newest_seq(api.engine)
    response = send()
    assert 200 <= response.status_code < 300, (path, response.status_code, response.text)
    with Session(api.engine) as session:
        added = session.execute(select(AuditLog.actor, AuditLog.action).where(AuditLog.seq > before)).all()
    assert actor in {a for a, _ in added}, (path, added)


def test_objections_and_imports_are_audited(api, world, policy):
    from api.practitioners.importer import import_practitioners

    me = api.token(Role.PRACTITIONER, CODE, "王伟")
    filed = api.client.post("/v1/me/objections", headers=me, json={"record_id": world["record_id"],
                                                                   "reason": "记分有误"})
    assert filed.status_code == 201, filed.text
    with Session(api.engine) as db:
        entry = db.scalars(select(AuditLog).where(AuditLog.action == "objection.file")
                           .order_by(AuditLog.seq.desc())).first()  # the world filed one before
        assert (entry.actor, entry.subject, entry.reason) == ("王伟", CODE, "记分有误")
        assert json.loads(entry.detail)["after"] == {"record": world["record_id"], "state": "open"}
    csv = ["code,name,category,institution_code,registered_on\n", "D110105000300,李四,medical,H11010500001,2025-01-01\n",
           "bad,x,medical,H11010500001,2025-01-01\n"]
    with Session(api.engine) as session:
        report = import_practitioners(session, "importer", csv, policy, date(2026, 3, 1), source="staff.csv")
        session.commit()
        entries = session.execute(select(AuditLog.actor, AuditLog.action, AuditLog.entity_id, AuditLog.detail)
                                  .where(AuditLog.actor == "importer").order_by(AuditLog.seq)).all()
    assert report.registrations_created == 1 and len(report.errors) == 1
    assert [e.action for e in entries][-1] == "import.practitioners" and entries[-1].entity_id == "staff.csv"
    assert json.loads(entries[-1].detail)["rejected_lines"] == [3]
    assert {"practitioner.create", "registration.create"} <= {e.action for e in entries}


# --- who, when, why, before → after ---------------------------------------------------------------------------

def _history(api, headers, url, limit=100):
    items, cursor = [], None
    while True:
        r = api.client.get(url, headers=headers, params={"limit": limit, **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200, r.text
        items += r.json()["items"]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            return items


@pytest.fixture
def story(api, people):
    """6 points, then 3 more (suspended), the suspension set to 2 months, then the first record changed to 4."""
    first = case(api, people, 6, "2026-02-01", violation="H01", number="A-1").json()[0]["id"]
    assert case(api, people, 3, "2026-02-10", violation="L01", number="A-2").status_code == 201
    r = api.client.post(f"/v1/practitioners/{CODE}/suspension-decisions", headers=people,
                        json={"year": 2026, "months": 2, "decided_on": "2026-02-20", "reason": "情节较重"})
    assert r.status_code == 201, r.text
    r = api.client.post(f"/v1/records/{first}/reviews", headers=people,
                        json={"outcome": "change", "points": 4, "decided_on": "2026-02-25", "reason": "复核减为4分"})
    assert r.status_code == 201, r.text
    return first


def test_a_persons_history_names_who_when_why_and_before_and_after(api, people, story):
    items = _history(api, people, f"/v1/practitioners/{CODE}/history")
    newest = items[0]
    assert (newest["action"], newest["actor"], newest["reason"]) == ("record.change", BEIJING, "复核减为4分")
    assert (newest["before"], newest["after"]) == ({"points": 6, "status": "suspended"},
                                                   {"points": 4, "status": "normal"})
    assert datetime.fromisoformat(newest["at"]).utcoffset().total_seconds() == 0
    by_action = {}
    for item in items:
        by_action.setdefault(item["action"], []).append(item)
    decision = by_action["suspension.decide"][0]
    assert (decision["before"], decision["after"], decision["reason"]) == ({"months": 1}, {"months": 2}, "情节较重")
    assert {"points": 3, "violation": "L01", "case": "A-2"}.items() <= by_action["record.create"][0]["after"].items()
    statuses = [(s["before"]["status"], s["after"]["status"]) for s in reversed(by_action["practitioner.status"])]
    assert statuses[0] == ("unregistered", "normal") and ("normal", "suspended") in statuses
    assert statuses[-1] == ("suspended", "normal")
    assert [i["action"] for i in items][-1] == "practitioner.create"
    assert _history(api, people, f"/v1/practitioners/{CODE}/history", limit=2) == items  # pages join up
    me = api.token(Role.PRACTITIONER, CODE)
    assert _history(api, me, "/v1/me/history", limit=3) == items


def test_history_cursors_belong_to_their_person(api, people, story):
    r = api.client.get(f"/v1/practitioners/{CODE}/history", headers=people, params={"limit": 1})
    cursor = r.json()["next_cursor"]
    me = api.token(Role.PRACTITIONER, "D110105000124")
    api.client.post("/v1/practitioners", headers=people, json={
        "code": "D110105000124", "name": "李四", "category": "medical", "institution_code": "H11010500001",
        "registered_on": "2025-01-01"})
    other = api.client.get("/v1/me/history", headers=me, params={"cursor": cursor})
    assert (other.status_code, other.json()["error"]["code"]) == (422, "CURSOR_INVALID")


def test_history_is_visible_exactly_where_the_record_is(api, people, story):
    for scope in ("000000", "110000", "110105", "110101", "310000", "120000"):
        headers = api.token(Role.SUPERVISOR, scope)
        record = api.client.get(f"/v1/practitioners/{CODE}", headers=headers)
        history = api.client.get(f"/v1/practitioners/{CODE}/history", headers=headers)
        assert history.status_code == record.status_code, (scope, history.text)
        if record.status_code != 200:
            same = ("code", "message", "details")  # each answer has its own request_id
            assert [history.json()["error"].get(k) for k in same] == [record.json()["error"].get(k) for k in same]
    institution_token = api.token(Role.INSTITUTION, "H11010500001")
    r = api.client.get(f"/v1/practitioners/{CODE}/history", headers=institution_token)
    assert (r.status_code, r.json()["error"]["code"]) == (403, "ROLE_NOT_ALLOWED")


def test_a_repair_shows_the_tally_before_and_after(api, world):
    r = api.client.post(f"/v1/practitioners/{TIANJIN_CODE}/repairs", headers=world["tianjin"],
                        json={"activity_date": "2026-02-20", "activity": "参加医保政策宣传"})
    assert r.status_code == 201, r.text
    newest = _history(api, world["tianjin"], f"/v1/practitioners/{TIANJIN_CODE}/history")
    repair = next(i for i in newest if i["action"] == "repair.create")
    assert (repair["actor"], repair["reason"], repair["before"], repair["after"]) == (
        TIANJIN, "参加医保政策宣传", {"tally": 2}, {"tally": 1})


def test_a_status_changed_by_the_calendar_is_in_the_history(api, people, policy):
    from api.ledger.status import refresh_statuses

    assert case(api, people, 9, "2026-02-10", violation="S01").status_code == 201  # suspended 11 Feb – 10 Mar
    with Session(api.engine) as session:
        assert refresh_statuses(session, policy, date(2026, 3, 11)) == 1
        session.commit()
    newest = _history(api, people, f"/v1/practitioners/{CODE}/history")[0]
    assert (newest["action"], newest["actor"]) == ("practitioner.status", "calendar")
    assert (newest["before"]["status"], newest["after"]["status"]) == ("suspended", "normal")


def test_audit_show_prints_one_change_per_line(api, people, story, tmp_path):
    shown = points_cli(api.engine, tmp_path, "audit", "show", "--person", CODE)
    assert shown.returncode == 0, shown.stdout + shown.stderr
    lines = shown.stdout.splitlines()
    review = next(line for line in lines if "record.change" in line)
    assert BEIJING in review and "points 6 → 4" in review and "status suspended → normal" in review
    assert any("suspension.decide" in line and "months 1 → 2" in line for line in lines)
    unknown = points_cli(api.engine, tmp_path, "audit", "show", "--person", "D110105999999")
    assert unknown.returncode == 2 and "PRACTITIONER_NOT_FOUND" in unknown.stdout
