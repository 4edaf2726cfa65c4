"""The audit log is a keyed hash chain: editing, removing or inserting any entry is detected."""
import os
import subprocess
import sys

from sqlalchemy import delete, select, update
from sqlmodel import Session

from api.audit import GENESIS, audit, verify_chain
from api.db.models import AuditLog
from tests.conftest import wipe
from tests.db.factories import audit_chain


def test_every_change_extends_one_unbroken_chain(committed_engine, policy):
    audit_chain(committed_engine, policy)
    with Session(committed_engine) as session:
        rows = session.scalars(select(AuditLog).order_by(AuditLog.seq)).all()
        assert [r.seq for r in rows] == list(range(1, len(rows) + 1)) and len(rows) >= 6
        assert rows[0].prev_hash == GENESIS and all(b.prev_hash == a.hash for a, b in zip(rows, rows[1:]))
        assert verify_chain(session).ok and verify_chain(session).entries == len(rows)


def test_an_edited_entry_is_detected(committed_engine, policy):
    audit_chain(committed_engine, policy)
    with Session(committed_engine) as session:
        session.execute(update(AuditLog).where(AuditLog.seq == 4).values(actor="someone else"))
        session.commit()
        result = verify_chain(session)
    assert (result.ok, result.broken_at, result.entries) == (False, 4, 3)
    assert "edited" in result.problem


def test_a_removed_or_reordered_entry_is_detected(committed_engine, policy):
    audit_chain(committed_engine, policy)
    with Session(committed_engine) as session:
        session.execute(delete(AuditLog).where(AuditLog.seq == 3))
        session.commit()
        assert (verify_chain(session).broken_at, verify_chain(session).problem) == (3, "entry 3 is missing")


def test_an_entry_rewritten_and_the_chain_recomputed_without_the_key_is_detected(committed_engine, policy):
    from api.audit import entry_hash

    audit_chain(committed_engine, policy)
    with Session(committed_engine) as session:
        rows = session.scalars(select(AuditLog).where(AuditLog.seq >= 2).order_by(AuditLog.seq)).all()
        rows[0].reason = "forged"
        prev = rows[0].prev_hash
        for row in rows:  # what anyone with database access could do to a plain SHA-256 chain
            row.prev_hash = prev
            row.hash = prev = entry_hash(row.seq, row.at, row.actor, row.action, row.entity, row.entity_id,
                                         row.reason, row.detail, row.prev_hash)
        session.commit()
        assert verify_chain(session).broken_at == 2


def test_audit_verify_command(committed_engine, policy, tmp_path, audit_settings):
    audit_chain(committed_engine, policy)
    env = {**os.environ, "POINTS_DATABASE_URL": committed_engine.url.render_as_string(hide_password=False),
           "POINTS_DATA_DIR": str(tmp_path), "POINTS_SECRET_KEY": audit_settings.secret_key}
    run = lambda: subprocess.run([sys.executable, "-m", "api.cli", "audit", "verify"], env=env,  # noqa: E731
                                 capture_output=True, text=True, timeout=60)
    ok = run()
    assert ok.returncode == 0 and "intact" in ok.stdout
    with Session(committed_engine) as session:
        session.execute(update(AuditLog).where(AuditLog.seq == 2).values(reason="tampered"))
        session.commit()
    broken = run()
    assert broken.returncode == 1 and "entry 2" in broken.stdout


def test_id_numbers_never_reach_the_audit_log(committed_engine):
    wipe(committed_engine)
    with Session(committed_engine) as session:
        row = audit(session, "x", "test", "t", 1, "身份证 110105199001011234", {"note": "110105199001011234"})
        session.commit()
        assert "199001011234" not in row.reason + row.detail
