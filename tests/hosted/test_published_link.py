"""The public collectivité page in hosted mode links to the SPASER report the collectivité published
(its latest year not withdrawn), and to nothing before, after a withdrawal, or when the store cannot
answer: the page then renders at once without the link (`Signin.optional_read`), never fails.

The warehouse is that of tests/spaser/test_purchases.py (Bordeaux in the hand-computed warehouse)."""

from __future__ import annotations

import html
import time
from pathlib import Path

import psycopg
from fastapi.testclient import TestClient

from leviers.hosted import database, tenancy
from leviers.hosted import spaser as hosted_spaser
from tests.hosted.test_signin_web import inbox  # noqa: F401
from tests.hosted.test_workspace_spaser import app, bordeaux  # noqa: F401
from tests.spaser.conftest import hand_path  # noqa: F401
from tests.spaser.test_purchases import BORDEAUX, warehouse  # noqa: F401

LINK = "Rapport SPASER publié par la collectivité"
PAGE = f"/collectivites/{BORDEAUX}"


def _publish(conn: psycopg.Connection, ids: dict[str, int], year: int) -> None:
    with tenancy.workspace_session(conn, account_id=ids["agent"], workspace_id=ids["workspace"]):
        conn.execute(
            "INSERT INTO spaser_publications (workspace_id, siren, annee, report) "
            "VALUES (leviers_workspace(), %s, %s, '{}')",
            [BORDEAUX, year],
        )


def _withdraw(conn: psycopg.Connection, ids: dict[str, int], year: int) -> None:
    with tenancy.workspace_session(conn, account_id=ids["agent"], workspace_id=ids["workspace"]):
        conn.execute(
            "UPDATE spaser_publications SET withdrawn_at = now() WHERE annee = %s AND withdrawn_at IS NULL",
            [year],
        )


def test_the_link_follows_publication_and_withdrawal(
    app: TestClient,  # noqa: F811
    conn: psycopg.Connection,
    bordeaux: dict[str, int],  # noqa: F811
) -> None:
    before = app.get(PAGE)
    assert before.status_code == 200
    assert LINK not in html.unescape(before.text)
    # Read without any workspace context: public data only.
    assert hosted_spaser.published_report(conn, BORDEAUX) is None
    _publish(conn, bordeaux, 2023)
    _publish(conn, bordeaux, 2024)
    assert hosted_spaser.published_report(conn, BORDEAUX)["annee"] == 2024  # type: ignore[index]
    text = html.unescape(app.get(PAGE).text)
    assert (
        f'<a href="/collectivites/{BORDEAUX}/spaser/publie">{LINK}</a> (dernière année publiée : 2024)'
        in text
    )
    # 2024 withdrawn: the link stays for 2023; both withdrawn: no link.
    _withdraw(conn, bordeaux, 2024)
    assert "(dernière année publiée : 2023)" in html.unescape(app.get(PAGE).text)
    _withdraw(conn, bordeaux, 2023)
    assert LINK not in html.unescape(app.get(PAGE).text)
    # Another collectivité's page never shows Bordeaux's link.
    _publish(conn, bordeaux, 2024)
    assert hosted_spaser.published_report(conn, "200000172") is None


def test_the_page_renders_without_the_link_when_the_store_is_unreachable(
    app: TestClient,  # noqa: F811
    conn: psycopg.Connection,
    bordeaux: dict[str, int],  # noqa: F811
    tmp_path: Path,
) -> None:
    _publish(conn, bordeaux, 2024)
    assert LINK in html.unescape(app.get(PAGE).text)
    signin = app.app.state.signin  # type: ignore[attr-defined]
    kept = signin.pool
    # A real pool to an address where no server listens (a socket folder without a socket).
    signin.pool = database.pool(f"postgresql://leviers@/leviers?host={tmp_path}&port=5432")
    signin.pool.open()
    try:
        # The page kept before (complete as of its version) is served while the store cannot tell.
        assert LINK in html.unescape(app.get(PAGE).text)
        signin._failed_at = None
        app.app.state.kept_pages.clear()  # type: ignore[attr-defined]
        started = time.monotonic()
        down = app.get(PAGE)
        first = time.monotonic() - started
        assert down.status_code == 200
        assert LINK not in html.unescape(down.text)
        assert len(app.app.state.kept_pages) == 0  # type: ignore[attr-defined]  # incomplete: not kept
        assert first < 5, first  # half a second of waiting at most per optional read, not 10 s
        # Within the next 30 s the store is not asked again: no wait at all.
        started = time.monotonic()
        assert app.get(PAGE).status_code == 200
        assert time.monotonic() - started < first
    finally:
        signin.pool.close()
        signin.pool = kept
        signin._failed_at = None
    assert LINK in html.unescape(app.get(PAGE).text)


def test_one_indexed_query(conn: psycopg.Connection, bordeaux: dict[str, int]) -> None:  # noqa: F811
    """The public page's question is one index scan of `spaser_publications_siren`, without any
    workspace context (row-level security's policies do not prevent it)."""
    _publish(conn, bordeaux, 2024)
    with conn.transaction():
        conn.execute("SET LOCAL enable_seqscan = off")
        plan = "\n".join(
            r[0] for r in conn.execute("EXPLAIN " + hosted_spaser.PUBLISHED_REPORT, [BORDEAUX]).fetchall()
        )
    assert "spaser_publications_siren" in plan, plan


def test_the_kept_page_follows_the_public_needs(
    app: TestClient,  # noqa: F811
    conn: psycopg.Connection,
    bordeaux: dict[str, int],  # noqa: F811
) -> None:
    """The collectivité page is kept rendered (leviers.web.kept_pages) under the store's public
    version: a need made public on its territory shows at the next visit, and one made private again
    goes; between changes the kept page is served as it was."""
    from leviers.hosted import needs as needs_store

    count = "organisations de l'ESS sur ce territoire (commune) : "
    assert f"{count}<strong>0</strong>." in html.unescape(app.get(PAGE).text)
    account = tenancy.create_account(conn, "tresorier@recyclerie.fr", "Dominique Petit")
    workspace = tenancy.create_workspace(
        conn, kind="organisation_ess", name="Recyclerie du Lac", siren=None, administrator=account
    )
    given = {"purpose": "Atelier", "amount": "2500000", "form": "pret", "horizon": "1_3_ans",
             "theme": "dechets", "stage": "creation", "visibility": "detail", "commune": "33063"}  # fmt: skip
    with tenancy.workspace_session(conn, account_id=account, workspace_id=workspace):
        need = needs_store.create(conn, needs_store.validate(given))
    shown = html.unescape(app.get(PAGE).text)
    assert f"{count}<strong>1</strong>, dont 1 chiffré pour" in shown
    assert html.unescape(app.get(PAGE).text) == shown  # kept: the same page
    with tenancy.workspace_session(conn, account_id=account, workspace_id=workspace):
        conn.execute("UPDATE needs SET visibility = 'prive' WHERE id = %s", [need])
    assert f"{count}<strong>0</strong>." in html.unescape(app.get(PAGE).text)


def test_the_version_connection_survives_a_restart(
    app: TestClient,  # noqa: F811
    conn: psycopg.Connection,
    bordeaux: dict[str, int],  # noqa: F811
) -> None:
    """The public version has a connection of its own (Signin.public_version): dropped by the server,
    it is opened again at the next request, which still sees the latest publication."""
    assert LINK not in html.unescape(app.get(PAGE).text)
    signin = app.app.state.signin  # type: ignore[attr-defined]
    pid = signin._version_conn.info.backend_pid
    conn.execute("SELECT pg_terminate_backend(%s)", [pid])
    _publish(conn, bordeaux, 2024)
    assert LINK in html.unescape(app.get(PAGE).text)
    assert signin._failed_at is None
    assert signin._version_conn.info.backend_pid != pid
