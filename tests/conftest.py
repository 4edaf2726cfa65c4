"""Database fixtures. SQLite (a temp file) by default; PostgreSQL when POINTS_TEST_DATABASE_URL names a server
database: each test session then creates its own fresh database beside it and drops it at the end.
The schema always comes from `alembic upgrade head`. Each test runs in a transaction rolled back at its end."""
import os
import uuid
from collections.abc import Callable, Iterator
from datetime import date

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel

from api.db.engine import make_engine
from api.db.migrate import upgrade
from api.policy import load_policy

SERVER_URL = os.environ.get("POINTS_TEST_DATABASE_URL", "")
TODAY = date(2025, 6, 30)


def _create_pg_database() -> tuple[str, Callable[[], None]]:
    server = make_url(SERVER_URL)
    name = f"points_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return server.set(database=name).render_as_string(hide_password=False), drop


@pytest.fixture(scope="session")
def fresh_database(tmp_path_factory) -> Iterator[Callable[[], str]]:
    """Factory of empty databases of the backend under test (no schema yet)."""
    drops = []

    def make() -> str:
        if not SERVER_URL:
            return f"sqlite:///{tmp_path_factory.mktemp('db') / 'points.db'}"
        url, drop = _create_pg_database()
        drops.append(drop)
        return url

    yield make
    for drop in drops:
        drop()


@pytest.fixture(scope="session")
def database_url(fresh_database) -> str:
    url = fresh_database()
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def engine(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine) -> Iterator[Session]:
    """Rolled back at the end; code under test may commit (it commits a SAVEPOINT)."""
    with engine.connect() as connection:
        outer = connection.begin()
        with Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False) as s:
            yield s
        outer.rollback()


def issue_test_token(engine, secret: bytes, role, scope: str, name: str, days: float = 1) -> str:
    """A signed token, committed, as `points token issue` would make it."""
    from api.auth.service import issue_token

    with Session(engine) as session:
        token, _ = issue_token(session, secret, "test", role, scope, name, days)
        session.commit()
    return token


@pytest.fixture(scope="session", autouse=True)
def audit_settings(tmp_path_factory):
    """The audit chain's key and head file, for code that runs without an app (an app uses its own settings):
    nothing is read from or written to the working directory's data/."""
    from api import audit
    from api.settings import Settings

    settings = Settings(secret_key="test-secret-key-of-at-least-32-bytes", data_dir=tmp_path_factory.mktemp("data"))
    audit.configure(settings)
    return settings


@pytest.fixture(scope="session", autouse=True)
def quiet_request_log():
    """The request log's thread often writes after a test's output capture has ended: its lines go nowhere
    (tests/app/test_request_log.py reads them from an output of its own)."""
    from api import request_log

    with open(os.devnull, "wb") as nowhere:
        request_log.WRITER.output = nowhere
        yield
        request_log.flush()
        request_log.WRITER.output = None


@pytest.fixture(scope="session")
def policy():
    return load_policy()


def pytest_report_header(config):
    return f"database: {make_url(SERVER_URL).render_as_string() if SERVER_URL else 'sqlite (temp file)'}"


def wipe(engine) -> None:
    """Empty every table (tests that need real commits share one migrated database)."""
    tables = [t.name for t in reversed(SQLModel.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))


@pytest.fixture(scope="session")
def committed_engine(fresh_database):
    url = fresh_database()
    upgrade(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()
