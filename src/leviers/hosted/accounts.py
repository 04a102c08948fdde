"""Finding the account of someone signing in."""

from __future__ import annotations

import psycopg

from leviers.hosted.proconnect import Identity, SigninFailed


def from_proconnect(conn: psycopg.Connection, identity: Identity) -> int:
    """The account of a ProConnect identity: by its subject, else by its e-mail (the subject is then
    recorded), else a new account. An e-mail already tied to another subject is refused."""
    with conn.transaction():
        row = conn.execute("SELECT id FROM accounts WHERE proconnect_sub = %s", [identity.subject]).fetchone()
        if row is not None:
            return int(row[0])
        row = conn.execute(
            "SELECT id, proconnect_sub FROM accounts WHERE email = %s FOR UPDATE", [identity.email]
        ).fetchone()
        if row is not None:
            if row[1] is not None:
                raise SigninFailed(
                    "invalide",
                    "cette adresse est déjà liée à une autre identité ProConnect : contactez l'administrateur du site.",
                )
            conn.execute("UPDATE accounts SET proconnect_sub = %s WHERE id = %s", [identity.subject, row[0]])
            return int(row[0])
        name = " ".join(p for p in (identity.given_name, identity.usual_name) if p) or None
        created = conn.execute(
            "INSERT INTO accounts (email, display_name, proconnect_sub) VALUES (%s, %s, %s) RETURNING id",
            [identity.email, name, identity.subject],
        ).fetchone()
        assert created is not None
        return int(created[0])


def display_name(conn: psycopg.Connection, account_id: int) -> tuple[str | None, str]:
    row = conn.execute("SELECT display_name, email FROM accounts WHERE id = %s", [account_id]).fetchone()
    assert row is not None
    return row[0], row[1]
