"""Server-side sessions: the browser holds a random token, PostgreSQL its SHA-256 only.

A session expires after `idle_s` without a request and `absolute_s` after its creation. A session
not yet signed in (account NULL) carries the CSRF token of the sign-in forms and the state of a
ProConnect sign-in; signing in replaces it by a new one (a new token: rotation), so a token seen
before sign-in is worth nothing after. The CSRF token is an HMAC of the session token: bound to
the session, never stored, unknown to whoever has not the cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg.types.json import Jsonb


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def csrf_token(session_token: str) -> str:
    return hmac.new(session_token.encode(), b"leviers-csrf", hashlib.sha256).hexdigest()


def csrf_matches(session_token: str | None, given: str | None) -> bool:
    if not session_token or not given:
        return False
    return hmac.compare_digest(csrf_token(session_token), given)


@dataclass
class Session:
    id: int
    token: str
    account_id: int | None
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def csrf(self) -> str:
        return csrf_token(self.token)


def create(
    conn: psycopg.Connection, *, account_id: int | None, lifetime_s: int, data: dict[str, Any] | None = None
) -> Session:
    """A new session; expired sessions are removed on the way (the index on expires_at keeps it cheap)."""
    token = new_token()
    conn.execute("DELETE FROM sessions WHERE expires_at < now()")
    row = conn.execute(
        "INSERT INTO sessions (token_hash, account_id, data, expires_at) "
        "VALUES (%s, %s, %s, now() + make_interval(secs => %s)) RETURNING id",
        [token_hash(token), account_id, Jsonb(data or {}), lifetime_s],
    ).fetchone()
    assert row is not None
    return Session(int(row[0]), token, account_id, dict(data or {}))


# The idle clock is restarted at most this often: most page views are then a read, not a write (an
# UPDATE per request cost a row version and a WAL record per page); an idle session may end up to
# this much earlier than `idle_s` after its last request.
TOUCH_S = 60
FIND = """
WITH live AS (
    SELECT id, account_id, data, last_seen_at FROM sessions
    WHERE token_hash = %(hash)s AND expires_at > now()
      AND last_seen_at > now() - make_interval(secs => %(idle)s)
), touched AS (
    UPDATE sessions AS s SET last_seen_at = now() FROM live
    WHERE s.id = live.id AND live.last_seen_at < now() - make_interval(secs => %(touch)s)
)
SELECT id, account_id, data FROM live
"""


def find(conn: psycopg.Connection, token: str | None, *, idle_s: int) -> Session | None:
    """The live session of `token` (its idle clock restarted if TOUCH_S have passed), or None:
    unknown, idle or expired."""
    if not token or len(token) > 100:
        return None
    row = conn.execute(FIND, {"hash": token_hash(token), "idle": idle_s, "touch": TOUCH_S}).fetchone()
    if row is None:
        return None
    return Session(int(row[0]), token, row[1], dict(row[2]))


def save_data(conn: psycopg.Connection, session: Session) -> None:
    conn.execute("UPDATE sessions SET data = %s WHERE id = %s", [Jsonb(session.data), session.id])


def sign_in(
    conn: psycopg.Connection,
    previous: Session | None,
    account_id: int,
    *,
    lifetime_s: int,
    data: dict[str, Any],
) -> Session:
    """Rotation: the session before sign-in is deleted, a new one (new token) is the account's."""
    with conn.transaction():
        if previous is not None:
            delete(conn, previous)
        return create(conn, account_id=account_id, lifetime_s=lifetime_s, data=data)


def delete(conn: psycopg.Connection, session: Session) -> None:
    conn.execute("DELETE FROM sessions WHERE id = %s", [session.id])


def delete_all(conn: psycopg.Connection, account_id: int) -> int:
    """Logout everywhere: every session of the account, and its unused sign-in links."""
    with conn.transaction():
        count = conn.execute("DELETE FROM sessions WHERE account_id = %s", [account_id]).rowcount
        conn.execute(
            "UPDATE signin_links SET used_at = now() WHERE account_id = %s AND used_at IS NULL", [account_id]
        )
    return count
