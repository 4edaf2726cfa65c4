from sqlalchemy import inspect

from alembic import command
from api.db.engine import make_engine
from api.db.migrate import alembic_config, upgrade


def test_schema_comes_from_migrations_and_matches_the_models(database_url):
    command.check(alembic_config(database_url))  # raises if models and migrated schema differ


def test_migrations_downgrade_to_base_and_upgrade_again(fresh_database):
    url = fresh_database()
    upgrade(url)
    command.downgrade(alembic_config(url), "base")
    engine = make_engine(url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(url)
    assert {"point_record", "sanction", "claim", "audit_log"} <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_constraints_are_named_by_convention(engine):
    insp = inspect(engine)
    checks = [c["name"] for c in insp.get_check_constraints("point_record")]
    assert "ck_point_record_points_range" in checks
    fks = {fk["name"] for fk in insp.get_foreign_keys("point_record")}
    assert "fk_point_record_practitioner_id_practitioner" in fks


def test_upgrading_a_database_that_holds_data(fresh_database):
    from sqlalchemy import text

    url = fresh_database()
    upgrade(url, "0002")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO practitioner (code, name, category, region, created_at, status, "
                          "ledger_version) VALUES ('D110105000001', '王伟', 'medical', '110105', "
                          "'2026-01-01 00:00:00', 'normal', 3)"))
    upgrade(url)
    with engine.connect() as conn:
        row = conn.execute(text("SELECT ledger_version, claims_version, tally FROM practitioner")).one()
    assert tuple(row) == (3, 0, 0)
    engine.dispose()


def test_upgrading_names_each_suspension_decision_by_its_trigger_record(fresh_database, policy):
    """0013: a decision stored by (year, ordinal) takes the trigger of its suspension's sanction row."""
    from datetime import date

    from sqlalchemy import text
    from sqlmodel import Session

    from api.ledger import service as ledger
    from api.ledger.schemas import SuspensionDecisionCreate
    from tests.conftest import TODAY
    from tests.db.factories import institution, person, record

    url = fresh_database()
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        institution(session)
        person(session, policy)
        record(session, policy, "D110105000001", 5, date(2025, 6, 1))
        nine = record(session, policy, "D110105000001", 4, date(2025, 6, 10)).id
        ledger.decide_suspension(session, "s", "D110105000001", SuspensionDecisionCreate(
            trigger_record_id=nine, months=3, decided_on=date(2025, 6, 12), reason="情节"), policy, TODAY)
        session.commit()
    command.downgrade(alembic_config(url), "0012")
    upgrade(url)
    with engine.connect() as conn:
        row = conn.execute(text("SELECT trigger_record_id, year, ordinal, months FROM suspension_decision")).one()
    assert tuple(row) == (nine, 2025, 1, 3)
    engine.dispose()
