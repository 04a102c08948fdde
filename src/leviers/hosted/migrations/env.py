"""Alembic's environment: run the migrations on the connection Leviers passes (or on the URL)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine, pool

config = context.config


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=None, transaction_per_migration=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    given = config.attributes.get("connection")
    if given is not None:
        _run(given)
    else:
        engine = create_engine(str(config.get_main_option("sqlalchemy.url")), poolclass=pool.NullPool)
        with engine.connect() as connection:
            _run(connection)
