"""The store's connections in the web app: one pool per server process, so that requests borrow
connections instead of opening one each; a connection the server dropped is replaced without an
error; the pool closes with the application."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg

from leviers.hosted import database
from tests.hosted.conftest import hosted_client
from tests.hosted.smtp import Inbox
from tests.hosted.test_signin_web import agent, inbox, sign_in  # noqa: F401


def _backends(conn: psycopg.Connection) -> list[int]:
    """The server processes of other connections to this test's database."""
    rows = conn.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
    ).fetchall()
    return [int(r[0]) for r in rows]


def test_requests_borrow_connections_and_the_pool_closes_with_the_app(
    inbox: Inbox,  # noqa: F811
    agent: int,  # noqa: F811
    conn: psycopg.Connection,
    empty_warehouse: Path,
    serving_cache: Path,
) -> None:
    with hosted_client(empty_warehouse, serving_cache) as client:
        sign_in(client, inbox)
        assert client.get("/mon-espace").status_code == 200
        first = set(_backends(conn))
        assert 1 <= len(first) <= database.POOL_SIZE
        # 60 signed-in pages, 8 at a time: never more connections than the pool's size, and the
        # ones already open are reused (a new connection per request would give 60 new backends).
        with ThreadPoolExecutor(8) as threads:
            codes = list(threads.map(lambda _: client.get("/mon-espace").status_code, range(60)))
        assert codes == [200] * 60
        during = set(_backends(conn))
        assert len(during) <= database.POOL_SIZE
        assert first & during
        # The server drops every connection (a restart, an administrator): the next page works.
        for pid in during:
            conn.execute("SELECT pg_terminate_backend(%s)", [pid])
        page = client.get("/mon-espace")
        assert page.status_code == 200, page.text[-3000:]
        assert "Ville A" in page.text
    # A server process ends shortly after its client closes the connection.
    deadline = time.monotonic() + 10
    while _backends(conn) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _backends(conn) == []


def test_an_unreachable_store_is_told_in_french(
    inbox: Inbox,  # noqa: F811
    empty_warehouse: Path,
    serving_cache: Path,
    tmp_path: Path,
) -> None:
    with hosted_client(empty_warehouse, serving_cache) as client:
        signin = client.app.state.signin  # type: ignore[attr-defined]
        signin.close()
        # The store goes away after start-up (its socket folder holds no server).
        signin.pool.close()
        signin.pool = database.pool(f"postgresql://leviers@/leviers?host={tmp_path}", wait_s=1)
        signin._opened = False
        answer = client.get("/connexion")
        assert answer.status_code == 503
        assert answer.headers["retry-after"] == "30"
        assert "base PostgreSQL injoignable" in answer.text
        assert "Service indisponible" in answer.text
