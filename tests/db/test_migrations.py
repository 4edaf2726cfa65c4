from alembic import command
from sqlalchemy import inspect

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
