"""Bringing the hosted store to this version's schema with Alembic, on a connection we own."""

from __future__ import annotations

from dataclasses import dataclass

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, pool

from leviers.hosted.database import check_role, connect


def sqlalchemy_url(dsn: str) -> str:
    """A libpq URL (postgresql://…) as SQLAlchemy names it with the psycopg 3 driver."""
    for prefix in ("postgresql://", "postgres://"):
        if dsn.startswith(prefix):
            return "postgresql+psycopg://" + dsn[len(prefix) :]
    return dsn


def _config(dsn: str) -> Config:
    config = Config()
    config.set_main_option("script_location", "leviers.hosted:migrations")
    # ConfigParser interpolation: a % in the URL (an encoded password) must be doubled.
    config.set_main_option("sqlalchemy.url", sqlalchemy_url(dsn).replace("%", "%%"))
    return config


def head() -> str:
    """The revision this version of Leviers expects."""
    found = ScriptDirectory.from_config(_config("postgresql://")).get_current_head()
    assert found is not None
    return found


@dataclass(frozen=True)
class MigrationReport:
    before: str | None
    after: str | None


def current(dsn: str) -> str | None:
    """The store's revision (None: empty, never migrated)."""
    engine = create_engine(sqlalchemy_url(dsn), poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def upgrade(dsn: str, target: str = "head") -> MigrationReport:
    """Apply the missing migrations (each in its own transaction), after checking the role."""
    with connect(dsn) as conn:
        check_role(conn)
    before = current(dsn)
    command.upgrade(_config(dsn), target)
    return MigrationReport(before, current(dsn))


def downgrade(dsn: str, target: str) -> MigrationReport:
    before = current(dsn)
    command.downgrade(_config(dsn), target)
    return MigrationReport(before, current(dsn))
