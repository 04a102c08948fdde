"""A collectivité workspace's SPASER: its objectives (set by a form, kept per workspace), its draft
report (the open-data warehouse + the workspace's purchases and subsidy files + its objectives, for
members only) and its explicit publication by an administrator (a snapshot of the figures, public
until withdrawn).

What becomes public is the report's figures: indicators, obligations, objectives, the shares of
the collectivité's whole spending (amounts and supplier counts per criterion) and the figures of
the subsidies of its own files (lines, beneficiaries, amount, ESS shares with unknown apart, beside
the open data). The purchase and subsidy lines never: the snapshot holds no line, no supplier, no
beneficiary, not the shares by category or buying entity (those name the file's own groups) nor
the subsidies by ESS family (a family of one or two beneficiaries would point at them).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import duckdb
import psycopg
from psycopg.types.json import Jsonb

from leviers.errors import InputRefused
from leviers.hosted import audit, tenancy
from leviers.hosted.purchases import PostgresStore
from leviers.hosted.subsidies import SubsidyStore
from leviers.hosted.workspaces import WorkspaceRefused, require_admin
from leviers.spaser import purchases as own
from leviers.spaser import subsidies as own_subsidies
from leviers.spaser.objectives import Objective, from_rows
from leviers.spaser.report import SpaserReport, build_report

MAX_OBJECTIVES = 40


def objective_rows(conn: psycopg.Connection) -> list[dict[str, Any]]:
    cur = conn.execute(
        "SELECT id, indicateur, cible, base, annee FROM spaser_objectives ORDER BY indicateur, base, annee NULLS FIRST, id"
    )
    names = [d.name for d in cur.description or []]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _as_objectives(rows: list[dict[str, Any]]) -> list[Objective]:
    return from_rows(
        [
            (
                {
                    "indicateur": r["indicateur"],
                    "cible": r["cible"],
                    "base": r["base"],
                    "annee": r["annee"] or "",
                },
                f"objectif « {r['indicateur']} »",
            )
            for r in rows
        ]
    )


def objectives(conn: psycopg.Connection) -> list[Objective]:
    return _as_objectives(objective_rows(conn))


def add_objective(conn: psycopg.Connection, indicateur: str, cible: str, base: str, annee: str) -> None:
    """One objective, checked by the rules of an objectives file (indicator known, target a number,
    base, year; one objective per indicator, base and year), or WorkspaceRefused in French."""
    rows = objective_rows(conn)
    if len(rows) >= MAX_OBJECTIVES:
        raise WorkspaceRefused(f"{MAX_OBJECTIVES} objectifs au plus : supprimez-en un d'abord.")
    if not indicateur.strip():
        raise WorkspaceRefused("choisissez un indicateur de la liste.")
    year = annee.strip()
    if year and not (year.isdigit() and 2000 <= int(year) <= 2100):
        raise WorkspaceRefused(f"année « {year[:10]} » : une année de 2000 à 2100 est attendue (ou rien).")
    new = {
        "indicateur": indicateur.strip(),
        "cible": cible.strip(),
        "base": base.strip() or "nombre",
        "annee": year,
    }
    kept = [
        (
            {
                "indicateur": r["indicateur"],
                "cible": r["cible"],
                "base": r["base"],
                "annee": r["annee"] or "",
            },
            "",
        )
        for r in rows
    ]
    try:
        checked = from_rows([*kept, (new, "objectif")])[-1]
    except InputRefused as exc:
        raise WorkspaceRefused(f"{exc.cause}.") from exc
    if len(new["cible"]) > 40:
        raise WorkspaceRefused("cible trop longue (40 caractères au plus).")
    conn.execute(
        "INSERT INTO spaser_objectives (workspace_id, indicateur, cible, base, annee) "
        "VALUES (leviers_workspace(), %s, %s, %s, %s)",
        [checked.indicateur, new["cible"], checked.base, checked.annee],
    )


def remove_objective(conn: psycopg.Connection, objective_id: int) -> None:
    if not conn.execute("DELETE FROM spaser_objectives WHERE id = %s", [objective_id]).rowcount:
        raise WorkspaceRefused("cet objectif n'existe plus (il a peut-être déjà été supprimé).")


def draft(
    warehouse: duckdb.DuckDBPyConnection, conn: psycopg.Connection, siren: str, year: int
) -> SpaserReport:
    """The workspace's draft report for `year` (inside its session): NoDataForReport when the open
    data have nothing for that year (its message names the years they have)."""
    store = PostgresStore(conn)
    return build_report(
        warehouse,
        siren,
        year,
        objectives(conn),
        own.from_store(warehouse, store, siren, year, decp=False),
        subsidy_section(warehouse, conn, siren, year),
    )


def subsidy_section(
    warehouse: duckdb.DuckDBPyConnection, conn: psycopg.Connection, siren: str, year: int
) -> dict[str, Any]:
    """The section of the workspace's own subsidy files for `year` (inside its session)."""
    store = SubsidyStore(conn)
    years = store.years()
    lines = own_subsidies.lines_table(store.lines(year) if year in years else [])
    return own_subsidies.section(warehouse, lines, siren, year, years)


def public_snapshot(report: SpaserReport) -> dict[str, Any]:
    """What is published: the report's figures, without the shares by the file's own groups nor the
    subsidies by ESS family (leviers.spaser.subsidies.published: no line, no beneficiary)."""
    snapshot = report.to_json()
    if "achats" in snapshot:
        snapshot["achats"] = {k: v for k, v in snapshot["achats"].items() if k != "par_groupe"}
    if "subventions" in snapshot:
        snapshot["subventions"] = own_subsidies.published(snapshot["subventions"])
    return snapshot


def publish(conn: psycopg.Connection, member: tenancy.Membership, siren: str, report: SpaserReport) -> int:
    """Publish (or publish again) the report of its year: the previous publication of that year is
    withdrawn, the new one is public at once; logged."""
    require_admin(member)
    conn.execute(
        "UPDATE spaser_publications SET withdrawn_at = now() WHERE workspace_id = leviers_workspace() "
        "AND annee = %s AND withdrawn_at IS NULL",
        [report.annee],
    )
    row = conn.execute(
        "INSERT INTO spaser_publications (workspace_id, siren, annee, report) VALUES (leviers_workspace(), %s, %s, %s) "
        "RETURNING id",
        [siren, report.annee, Jsonb(public_snapshot(report))],
    ).fetchone()
    assert row is not None
    audit.record(
        conn, "publication", {"rapport": "spaser", "annee": report.annee, "publication": int(row[0])}
    )
    return int(row[0])


def unpublish(conn: psycopg.Connection, member: tenancy.Membership, year: int) -> None:
    require_admin(member)
    withdrawn = conn.execute(
        "UPDATE spaser_publications SET withdrawn_at = now() WHERE workspace_id = leviers_workspace() "
        "AND annee = %s AND withdrawn_at IS NULL RETURNING id",
        [year],
    ).fetchone()
    if withdrawn is None:
        raise WorkspaceRefused(f"aucun rapport {year} publié : rien à retirer.")
    audit.record(
        conn, "depublication", {"rapport": "spaser", "annee": year, "publication": int(withdrawn[0])}
    )


def own_publications(conn: psycopg.Connection) -> list[dict[str, Any]]:
    """The workspace's current publications (inside its session)."""
    rows = conn.execute(
        "SELECT id, annee, published_at FROM spaser_publications WHERE workspace_id = leviers_workspace() "
        "AND withdrawn_at IS NULL ORDER BY annee DESC"
    ).fetchall()
    return [{"id": r[0], "annee": r[1], "published_at": r[2]} for r in rows]


def published(conn: psycopg.Connection, siren: str) -> list[dict[str, Any]]:
    """The public reports of a SIREN, newest year first: read outside any workspace (the policy
    `published_reading` shows publications not withdrawn, and nothing else)."""
    rows = conn.execute(
        "SELECT p.annee, p.report, p.published_at, w.name FROM spaser_publications AS p "
        "JOIN workspaces AS w ON w.id = p.workspace_id WHERE p.siren = %s AND p.withdrawn_at IS NULL "
        "ORDER BY p.annee DESC, p.published_at DESC",
        [siren],
    ).fetchall()
    return [{"annee": r[0], "report": r[1], "published_at": r[2], "workspace": r[3]} for r in rows]


PUBLISHED_REPORT = (
    "SELECT annee, published_at FROM spaser_publications WHERE siren = %s AND withdrawn_at IS NULL "
    "ORDER BY annee DESC LIMIT 1"
)


def published_report(conn: psycopg.Connection, siren: str) -> dict[str, Any] | None:
    """The latest year `siren` has published and not withdrawn (`annee`, `published_at`), or None:
    what the public collectivité page links to. Public data, read without any workspace context
    (`published_reading`); one query on the partial index `spaser_publications_siren`."""
    row = conn.execute(PUBLISHED_REPORT, [siren]).fetchone()
    return None if row is None else {"annee": int(row[0]), "published_at": row[1]}


def published_at(found: list[dict[str, Any]]) -> datetime | None:
    return found[0]["published_at"] if found else None


# --- a network's member collectivités --------------------------------------------------------------


def network_sirens(conn: psycopg.Connection) -> list[str]:
    """The current network's member collectivités (inside its session)."""
    return [r[0] for r in conn.execute("SELECT siren FROM network_members ORDER BY siren").fetchall()]


def add_network_member(conn: psycopg.Connection, member: tenancy.Membership, siren: str) -> None:
    require_admin(member)
    number = "".join(siren.split())
    if len(number) != 9 or not number.isdigit():
        raise WorkspaceRefused(f"SIREN « {siren[:20]} » invalide : 9 chiffres attendus.")
    if not conn.execute(
        "INSERT INTO network_members (workspace_id, siren) VALUES (leviers_workspace(), %s) ON CONFLICT DO NOTHING",
        [number],
    ).rowcount:
        raise WorkspaceRefused(f"le SIREN {number} est déjà membre du réseau.")
    audit.record(conn, "membre_ajoute", {"collectivite": number})


def remove_network_member(conn: psycopg.Connection, member: tenancy.Membership, siren: str) -> None:
    require_admin(member)
    if not conn.execute("DELETE FROM network_members WHERE siren = %s", [siren]).rowcount:
        raise WorkspaceRefused("cette collectivité n'est plus membre du réseau.")
    audit.record(conn, "membre_retire", {"collectivite": siren})


# The figures of a published report shown side by side on a network's page.
SIDE_BY_SIDE = ("achats_ess", "achats_siae", "achats_pme", "achats_local_departement")
OPEN_DATA_SIDE = ("ess_suppliers", "social", "environmental")


def network_board(conn: psycopg.Connection) -> list[dict[str, Any]]:
    """Per member collectivité, its latest *published* report's key figures (never a draft: only
    publications not withdrawn are read), or nothing when it has published none."""
    board = []
    for siren in network_sirens(conn):
        found = published(conn, siren)
        row: dict[str, Any] = {
            "siren": siren,
            "nom": None,
            "annee": None,
            "publie_le": None,
            "achats": {},
            "ouvertes": {},
        }
        if found:
            latest = found[0]
            report = latest["report"]
            row.update(nom=report.get("nom"), annee=latest["annee"], publie_le=latest["published_at"])
            for item in (report.get("achats") or {}).get("indicateurs", []):
                if item.get("indicateur") in SIDE_BY_SIDE:
                    row["achats"][item["indicateur"]] = item.get("valeur_montant")
            for axis in report.get("axes", []):
                for item in axis.get("indicateurs", []):
                    if item.get("indicateur") in OPEN_DATA_SIDE:
                        row["ouvertes"][item["indicateur"]] = item.get("valeur_nombre")
        board.append(row)
    return board
