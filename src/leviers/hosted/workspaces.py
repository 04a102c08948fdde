"""Workspaces and their members: what a member sees, what an administrator changes, what a site
administrator creates. Every change is made inside `tenancy.workspace_session` and logged there
(`audit.record`), in the same transaction as the change: a change without its log line cannot be
committed, nor a log line without its change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg

from leviers.hosted import audit, tenancy
from leviers.hosted.errors import Forbidden, HostedStoreError
from leviers.hosted.tenancy import Kind, Role

KINDS: dict[str, str] = {
    "collectivite": "Collectivité",
    "reseau": "Réseau",
    "organisation_ess": "Organisation de l'ESS",
}
ROLES: dict[str, str] = {"membre": "membre", "administrateur": "administrateur"}
ACTIONS: dict[str, str] = {
    "depot_fichier": "Dépôt d'un fichier",
    "publication": "Publication",
    "depublication": "Retrait d'une publication",
    "role_modifie": "Rôle modifié",
    "membre_ajoute": "Membre ajouté",
    "membre_retire": "Membre retiré",
    "suppression": "Suppression",
}


class WorkspaceRefused(HostedStoreError):
    """A change the rules refuse (last administrator, unknown member…), said in French."""


@dataclass(frozen=True)
class Workspace:
    id: int
    kind: Kind
    name: str
    siren: str | None
    created_at: datetime


@dataclass(frozen=True)
class Member:
    account_id: int
    email: str
    display_name: str | None
    role: Role
    since: datetime


def require_admin(membership: tenancy.Membership) -> None:
    if membership.role != "administrateur":
        raise Forbidden("accès refusé : seul un administrateur de l'espace peut faire ce changement.")


def workspace(conn: psycopg.Connection, workspace_id: int) -> Workspace:
    row = conn.execute(
        "SELECT id, kind, name, siren, created_at FROM workspaces WHERE id = %s", [workspace_id]
    ).fetchone()
    if row is None:
        raise Forbidden("accès refusé : cet espace de travail n'existe pas ou vous n'en êtes pas membre.")
    return Workspace(*row)


def members(conn: psycopg.Connection) -> list[Member]:
    """The current workspace's members (inside its session: row-level security keeps it to them)."""
    rows = conn.execute(
        "SELECT a.id, a.email, a.display_name, m.role, m.created_at FROM memberships AS m "
        "JOIN accounts AS a ON a.id = m.account_id WHERE m.workspace_id = leviers_workspace() "
        "ORDER BY m.role, coalesce(a.display_name, a.email), a.id"
    ).fetchall()
    return [Member(*r) for r in rows]


def _administrators(conn: psycopg.Connection) -> int:
    row = conn.execute(
        "SELECT count(*) FROM memberships WHERE workspace_id = leviers_workspace() AND role = 'administrateur'"
    ).fetchone()
    return int(row[0]) if row else 0


def add_member(conn: psycopg.Connection, membership: tenancy.Membership, email: str, role: Role) -> int:
    """Add the account of `email` (created when new) with `role`; an existing member is refused."""
    require_admin(membership)
    account = tenancy.create_account(conn, email)
    added = conn.execute(
        "INSERT INTO memberships (workspace_id, account_id, role) VALUES (leviers_workspace(), %s, %s) "
        "ON CONFLICT DO NOTHING",
        [account, role],
    ).rowcount
    if not added:
        raise WorkspaceRefused("cette personne est déjà membre de l'espace : changez plutôt son rôle.")
    audit.record(conn, "membre_ajoute", {"compte": account, "role": role})
    return account


def _role_of(conn: psycopg.Connection, account_id: int) -> Role:
    row = conn.execute(
        "SELECT role FROM memberships WHERE workspace_id = leviers_workspace() AND account_id = %s FOR UPDATE",
        [account_id],
    ).fetchone()
    if row is None:
        raise WorkspaceRefused("ce compte n'est pas membre de l'espace (il a peut-être déjà été retiré).")
    role: Role = row[0]
    return role


def _lock_members(conn: psycopg.Connection) -> None:
    # Two administrators demoting each other at once must not leave the workspace without one.
    conn.execute("SELECT pg_advisory_xact_lock(hashtext('leviers-membres'), leviers_workspace()::int)")


def change_role(
    conn: psycopg.Connection, membership: tenancy.Membership, account_id: int, role: Role
) -> None:
    require_admin(membership)
    _lock_members(conn)
    before = _role_of(conn, account_id)
    if before == role:
        return
    if before == "administrateur" and _administrators(conn) <= 1:
        raise WorkspaceRefused(
            "c'est le dernier administrateur de l'espace : nommez d'abord un autre administrateur."
        )
    conn.execute(
        "UPDATE memberships SET role = %s WHERE workspace_id = leviers_workspace() AND account_id = %s",
        [role, account_id],
    )
    audit.record(conn, "role_modifie", {"compte": account_id, "avant": before, "apres": role})


def remove_member(conn: psycopg.Connection, membership: tenancy.Membership, account_id: int) -> None:
    require_admin(membership)
    _lock_members(conn)
    before = _role_of(conn, account_id)
    if before == "administrateur" and _administrators(conn) <= 1:
        raise WorkspaceRefused(
            "c'est le dernier administrateur de l'espace : nommez d'abord un autre administrateur."
        )
    conn.execute(
        "DELETE FROM memberships WHERE workspace_id = leviers_workspace() AND account_id = %s", [account_id]
    )
    audit.record(conn, "membre_retire", {"compte": account_id, "role": before})


def log(conn: psycopg.Connection, membership: tenancy.Membership, limit: int = 200) -> list[dict[str, Any]]:
    """The workspace's audit log, for its administrators, with each author's e-mail when it still exists."""
    require_admin(membership)
    rows = conn.execute(
        "SELECT l.at, l.action, l.detail, a.email, a.display_name FROM audit_log AS l "
        "LEFT JOIN accounts AS a ON a.id = l.account_id ORDER BY l.at DESC, l.id DESC LIMIT %s",
        [limit],
    ).fetchall()
    return [
        {"at": r[0], "action": ACTIONS.get(r[1], r[1]), "detail": r[2], "author": r[4] or r[3]} for r in rows
    ]


# --- site administration (outside any workspace) ---------------------------------------------------


def is_site_admin(conn: psycopg.Connection, account_id: int) -> bool:
    row = conn.execute("SELECT site_admin FROM accounts WHERE id = %s", [account_id]).fetchone()
    return bool(row and row[0])


def set_site_admin(conn: psycopg.Connection, email: str, value: bool = True) -> int:
    """Make the account of `email` (created when new) a site administrator (or not any more)."""
    account = tenancy.create_account(conn, email)
    conn.execute("UPDATE accounts SET site_admin = %s WHERE id = %s", [value, account])
    return account


def all_workspaces(conn: psycopg.Connection) -> list[dict[str, Any]]:
    """Every workspace (a site administrator's list): names are public, members are not shown."""
    rows = conn.execute(
        "SELECT id, kind, name, siren, created_at FROM workspaces ORDER BY name, id"
    ).fetchall()
    return [{"id": r[0], "kind": KINDS[r[1]], "name": r[2], "siren": r[3], "created_at": r[4]} for r in rows]


def check_new(kind: str, name: str, siren: str | None) -> tuple[Kind, str, str | None]:
    """A new workspace's fields, checked, or WorkspaceRefused saying which is wrong."""
    if kind not in KINDS:
        raise WorkspaceRefused(f"type d'espace « {kind} » inconnu (possibles : {', '.join(KINDS)}).")
    cleaned = " ".join(name.split())
    if not 1 <= len(cleaned) <= 300:
        raise WorkspaceRefused("nom de l'espace manquant ou trop long (300 caractères au plus).")
    number = "".join((siren or "").split()) or None
    if number is not None and (len(number) != 9 or not number.isdigit()):
        raise WorkspaceRefused(f"SIREN « {siren} » invalide : 9 chiffres attendus.")
    if kind == "collectivite" and number is None:
        raise WorkspaceRefused("un espace de collectivité a besoin du SIREN de la collectivité.")
    checked: Kind = kind  # type: ignore[assignment]
    return checked, cleaned, number


def create(
    conn: psycopg.Connection, *, kind: str, name: str, siren: str | None, administrator_email: str
) -> int:
    """A new workspace and its first administrator (account created when new), logged."""
    checked, cleaned, number = check_new(kind, name, siren)
    with conn.transaction():
        account = tenancy.create_account(conn, administrator_email)
        return tenancy.create_workspace(conn, kind=checked, name=cleaned, siren=number, administrator=account)


def name_administrator(conn: psycopg.Connection, site_admin: int, workspace_id: int, email: str) -> int:
    """A site administrator names an administrator of an existing workspace (its first, or a new one
    when the last has left), logged in that workspace's audit log under the site administrator."""
    account = tenancy.create_account(conn, email)
    with tenancy.site_admin_session(conn, account_id=site_admin, workspace_id=workspace_id):
        before = conn.execute(
            "SELECT role FROM memberships WHERE workspace_id = leviers_workspace() AND account_id = %s",
            [account],
        ).fetchone()
        if before is not None and before[0] == "administrateur":
            raise WorkspaceRefused("cette personne est déjà administrateur de cet espace.")
        conn.execute(
            "INSERT INTO memberships (workspace_id, account_id, role) VALUES (leviers_workspace(), %s, "
            "'administrateur') ON CONFLICT (workspace_id, account_id) DO UPDATE SET role = 'administrateur'",
            [account],
        )
        if before is None:
            audit.record(conn, "membre_ajoute", {"compte": account, "role": "administrateur", "par": "site"})
        else:
            audit.record(
                conn,
                "role_modifie",
                {"compte": account, "avant": before[0], "apres": "administrateur", "par": "site"},
            )
    return account
