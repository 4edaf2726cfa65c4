"""Migration 0019: the evidence table holds a file's bytes exactly (BLOB / BYTEA), refuses evidence of no
objection, and goes away on downgrade to 0018 and comes back on upgrade."""
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from alembic import command
from api.db.engine import make_engine
from api.db.migrate import alembic_config, upgrade
from api.db.models import Objection
from tests.db.factories import institution, person, record

CONTENT = b"%PDF-1.7\n" + bytes(range(256)) * 4096  # every byte value, 1 MiB


def _insert(conn, objection_id: int):
    conn.execute(text("INSERT INTO objection_evidence (objection_id, file_name, media_type, size, sha256, content, "
                      "uploaded_at) VALUES (:o, '证据.pdf', 'application/pdf', :n, :h, :c, :at)"),
                 {"o": objection_id, "n": len(CONTENT), "h": "0" * 64, "c": CONTENT, "at": datetime.now(UTC)})


def test_migration_0019_stores_bytes_exactly_and_downgrades_cleanly(fresh_database, policy):
    url = fresh_database()
    upgrade(url)
    engine = make_engine(url)
    insp = inspect(engine)
    assert {c["name"] for c in insp.get_columns("objection_evidence")} == {
        "id", "objection_id", "file_name", "media_type", "size", "sha256", "content", "uploaded_at"}
    assert {fk["name"] for fk in insp.get_foreign_keys("objection_evidence")} == {
        "fk_objection_evidence_objection_id_objection"}
    with Session(engine) as session:
        institution(session)
        person(session, policy)
        row = record(session, policy, "D110105000001", 5, date(2025, 6, 1))
        session.add(Objection(record_id=row.id, practitioner_id=row.practitioner_id, reason="异议",
                              filed_at=datetime.now(UTC)))
        session.commit()
        objection_id = session.scalars(select(Objection.id)).one()
    with engine.begin() as conn:
        _insert(conn, objection_id)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT content FROM objection_evidence")).scalar_one() == CONTENT
    if engine.dialect.name == "postgresql":  # SQLite enforces foreign keys only when asked to
        with pytest.raises(IntegrityError), engine.begin() as conn:
            _insert(conn, 999)
    command.downgrade(alembic_config(url), "0018")
    assert "objection_evidence" not in inspect(engine).get_table_names()
    upgrade(url)
    assert "objection_evidence" in inspect(engine).get_table_names()
    engine.dispose()
