"""A person's data in hosted mode (GDPR articles 15, 17 and 20): everything Leviers keeps about an
account, exported on request, and the account's deletion.

What is kept of a person is minimal by design (migrations 0001 and 0002): the e-mail address, an
optional display name, the ProConnect subject, the memberships and their roles, the sessions (dates
only: tokens are stored as hashes), unused sign-in links (hashes) and the audit log entries the
person's actions wrote. Sign-in attempts are kept 15 minutes under a hash of the address.

Deleting an account removes the person and everything tied to them; the audit entries of their
workspaces stay (they are the workspace's record of what happened) but lose the account: the
author becomes « compte supprimé ». An account that is the only administrator of a workspace with
other members cannot be deleted before another administrator is named, so that no workspace is
left that nobody can manage.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg

from leviers.errors import LeviersError
from leviers.hosted import audit, tenancy, throttle


class DeletionRefused(LeviersError):
    """The account cannot be deleted yet (the message says why and what to do)."""


@dataclass(frozen=True)
class Deleted:
    workspaces_left: int
    sessions_closed: int


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def export(conn: psycopg.Connection, account_id: int) -> dict[str, Any]:
    """Everything kept about the account, as a JSON-ready document (French keys, as the user reads it)."""
    row = conn.execute(
        "SELECT email, display_name, proconnect_sub IS NOT NULL, site_admin, created_at FROM accounts WHERE id = %s",
        [account_id],
    ).fetchone()
    if row is None:
        raise DeletionRefused("ce compte n'existe pas (il a peut-être été supprimé).")
    email, name, proconnect, admin, created = row
    sessions = conn.execute(
        "SELECT created_at, last_seen_at, expires_at FROM sessions "
        "WHERE account_id = %s AND expires_at > now() ORDER BY created_at",
        [account_id],
    ).fetchall()
    links = conn.execute(
        "SELECT count(*) FROM signin_links WHERE account_id = %s AND used_at IS NULL AND expires_at > now()",
        [account_id],
    ).fetchone()
    workspaces = []
    for workspace_id, kind, workspace_name, role in tenancy.memberships(conn, account_id):
        with tenancy.workspace_session(conn, account_id=account_id, workspace_id=workspace_id):
            since = conn.execute(
                "SELECT created_at FROM memberships WHERE workspace_id = %s AND account_id = %s",
                [workspace_id, account_id],
            ).fetchone()
            actions = [
                {"action": e["action"], "date": _iso(e["at"]), "detail": e["detail"]}
                for e in audit.entries(conn, limit=10_000)
                if e["account_id"] == account_id
            ]
        workspaces.append(
            {
                "espace": workspace_name,
                "type": kind,
                "role": role,
                "membre_depuis": _iso(since[0]) if since else None,
                "actions_journalisees": actions,
            }
        )
    return {
        "compte": {
            "adresse_electronique": email,
            "nom_affiche": name,
            "lie_a_proconnect": bool(proconnect),
            "administrateur_du_site": bool(admin),
            "cree_le": _iso(created),
        },
        "sessions_ouvertes": [
            {"ouverte_le": _iso(s[0]), "derniere_activite": _iso(s[1]), "expire_le": _iso(s[2])}
            for s in sessions
        ],
        "liens_de_connexion_non_utilises": int(links[0]) if links else 0,
        "espaces_de_travail": workspaces,
        "note": (
            "Les jetons de session et de connexion ne sont conservés que sous forme d'empreinte (SHA-256) "
            "et ne peuvent pas être restitués ; les tentatives de connexion sont comptées 15 minutes sous "
            "une empreinte de l'adresse, sans l'adresse elle-même."
        ),
    }


def delete_account(conn: psycopg.Connection, account_id: int) -> Deleted:
    """Delete the account and what is tied to it (sessions, links, memberships) in one transaction:
    the checks, the « membre_retire » entry in each workspace's audit log and the deletion commit
    together or not at all. The account row goes last (its sessions and links by cascade; its audit
    entries keep their workspace and lose their author).

    `conn` must be in autocommit mode: the workspace sessions inside are savepoints of this one."""
    if not conn.autocommit:
        raise ValueError("delete_account needs an autocommit connection")
    with conn.transaction():
        email_row = conn.execute(
            "SELECT email FROM accounts WHERE id = %s FOR UPDATE", [account_id]
        ).fetchone()
        if email_row is None:
            raise DeletionRefused("ce compte n'existe pas (il a peut-être déjà été supprimé).")
        memberships = tenancy.memberships(conn, account_id)
        for workspace_id, _kind, name, role in memberships:
            with tenancy.workspace_session(conn, account_id=account_id, workspace_id=workspace_id):
                if role == "administrateur":
                    # FOR UPDATE: an administrator named or removed meanwhile waits for this check.
                    others = conn.execute(
                        "SELECT role FROM memberships WHERE workspace_id = %s AND account_id <> %s FOR UPDATE",
                        [workspace_id, account_id],
                    ).fetchall()
                    if others and not any(r[0] == "administrateur" for r in others):
                        raise DeletionRefused(
                            f"vous êtes le seul administrateur de l'espace « {name} », qui a d'autres membres : "
                            "nommez d'abord un autre administrateur, puis supprimez votre compte."
                        )
                audit.record(conn, "membre_retire", {"motif": "suppression du compte"})
        closed = conn.execute("DELETE FROM sessions WHERE account_id = %s", [account_id]).rowcount
        conn.execute(
            "DELETE FROM signin_attempts WHERE key_hash = %s", [throttle.key("courriel", str(email_row[0]))]
        )
        # Memberships, sign-in links: ON DELETE CASCADE; audit_log.account_id: ON DELETE SET NULL.
        conn.execute("DELETE FROM accounts WHERE id = %s", [account_id])
    return Deleted(workspaces_left=len(memberships), sessions_closed=closed)
