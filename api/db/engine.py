"""Engine and session factory for SQLite (embedded default) and PostgreSQL."""
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine


def sqlite_transactions(engine: Engine) -> None:
    """pysqlite recipe: let SQLAlchemy own BEGIN so transactions and SAVEPOINTs behave; enforce FKs.

    Transactions take the write lock up front (BEGIN IMMEDIATE): a deferred transaction that reads and then
    writes fails at once with 'database is locked' when another writer is busy, without waiting. Sessions
    opened with the execution option read_only=True (the eligibility path) use a plain, concurrent BEGIN."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get("read_only") else "BEGIN IMMEDIATE")


def make_engine(url: str, pool_size: int = 40) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10})
        sqlite_transactions(engine)
        return engine
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size // 2, pool_pre_ping=True)


@lru_cache
def default_engine() -> Engine:
    from api.settings import get_settings

    settings = get_settings()
    if settings.url.startswith("sqlite:///"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    return make_engine(settings.url, settings.db_pool_size)


@contextmanager
def unit_of_work(engine: Engine | None = None) -> Iterator[Session]:
    """A session whose work is committed when the block ends without error (CLI commands and jobs)."""
    with Session(engine or default_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def streamed(session: Session, sql: str, name: str, binary: bool = False) -> Iterator:
    """A DB-API cursor that has run `sql` in the session's transaction and reads rows as they are fetched: a named
    (server-side) cursor on PostgreSQL, `binary` for results as they are stored (bytea not as hex text); SQLite
    steps through the rows as they are fetched."""
    raw = session.connection().connection.driver_connection
    postgres = session.get_bind().dialect.name == "postgresql"
    cursor = raw.cursor(name=name) if postgres else raw.cursor()
    try:
        if postgres and binary:
            cursor.execute(sql, binary=True)
        else:
            cursor.execute(sql)
        yield cursor
    finally:
        cursor.close()
