"""Alembic environment: the URL comes from the caller (config attribute) or POINTS_ settings."""
from alembic import context
from sqlmodel import SQLModel

import api.db  # noqa: F401  (registers every table on the metadata)
from api.db.base import UTCDateTime
from api.db.engine import default_engine, make_engine

config = context.config
target_metadata = SQLModel.metadata


def _connectable():
    connection = config.attributes.get("connection")
    if connection is not None:
        return connection
    url = config.attributes.get("url")
    return make_engine(url) if url else default_engine()


def run_offline() -> None:
    from api.settings import get_settings

    context.configure(url=config.attributes.get("url") or get_settings().url, target_metadata=target_metadata,
                      literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def render_item(type_, obj, autogen_context):
    """Migrations stay free of app code: UTCDateTime is a plain timezone-aware DateTime in the database."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True,
                      compare_type=True, render_item=render_item)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connectable = _connectable()
    if hasattr(connectable, "connect"):
        with connectable.connect() as connection:
            _run(connection)
            connection.commit()
    else:
        _run(connectable)


if context.is_offline_mode():
    run_offline()
else:
    run_online()
