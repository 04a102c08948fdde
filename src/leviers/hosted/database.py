"""Connecting to the hosted store, and refusing a connection that would make isolation void.

Row-level security does not apply to superusers nor to roles with BYPASSRLS, whatever the policies
say: the application must connect as an ordinary role (the owner of its database is enough, since
every private table is FORCE ROW LEVEL SECURITY). `check_role` is run before anything else.
"""

from __future__ import annotations

import os

import psycopg
from psycopg_pool import ConnectionPool

from leviers.hosted.errors import HostedStoreError

DSN_ENV = "LEVIERS_POSTGRES"
# Connections one server process keeps to the store: a request borrows one instead of opening its
# own (a few milliseconds and a server process each). The web server runs sync routes on up to 40
# threads; past this many at once, a request waits for a connection (at most POOL_WAIT_S). All are
# opened with the pool: grown one at a time under a burst, the pool made the burst's requests queue
# behind each connection's start-up (the needs bench at 20 clients: p95 0.5-0.7 s, then 41 ms).
POOL_SIZE = 10
POOL_WAIT_S = 10.0


def resolve_dsn(dsn: str | None) -> str:
    """The DSN given, else $LEVIERS_POSTGRES; an error saying how to give one otherwise."""
    found = dsn or os.environ.get(DSN_ENV)
    if not found:
        raise HostedStoreError(
            "aucune base PostgreSQL indiquée : passez --dsn postgresql://… ou définissez la variable "
            f"{DSN_ENV} (pour un essai local : make postgres)."
        )
    return found


def connect(dsn: str, *, autocommit: bool = False) -> psycopg.Connection:
    """A connection to the store, with a French error when it cannot be reached."""
    try:
        return psycopg.connect(dsn, autocommit=autocommit, connect_timeout=10)
    except psycopg.OperationalError as exc:
        raise HostedStoreError(f"base PostgreSQL injoignable ({_first_line(exc)})") from exc
    except psycopg.ProgrammingError as exc:  # a malformed address
        raise HostedStoreError(f"adresse de base PostgreSQL illisible ({_first_line(exc)})") from exc


def pool(dsn: str, *, size: int = POOL_SIZE, wait_s: float = POOL_WAIT_S) -> ConnectionPool:
    """A pool of autocommit connections to the store, not yet open (`open()` starts it)."""
    return ConnectionPool(
        dsn,
        min_size=size,
        max_size=size,
        kwargs={"autocommit": True, "connect_timeout": 10},
        timeout=wait_s,
        open=False,
        name="leviers",
    )


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def check_role(conn: psycopg.Connection) -> str:
    """The connected role's name; refused if it is a superuser or may bypass row-level security."""
    row = conn.execute(
        "SELECT rolname, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
    ).fetchone()
    if row is None:  # pragma: no cover - current_user always has a pg_roles row
        raise HostedStoreError("rôle PostgreSQL courant introuvable")
    name, superuser, bypass = row
    if superuser or bypass:
        raise HostedStoreError(
            f"le rôle PostgreSQL « {name} » est {'superutilisateur' if superuser else 'dispensé des règles de ligne (BYPASSRLS)'} : "
            "l'isolation des espaces ne s'appliquerait pas. Connectez Leviers avec un rôle ordinaire, "
            "propriétaire de sa base (voir docs/hosted.md)."
        )
    return str(name)
