"""The rate limit of sign-in, shared by every server process: attempts are rows in PostgreSQL,
keyed by a hash of the client address or of the e-mail address (no address is stored)."""

from __future__ import annotations

import hashlib

import psycopg


def key(kind: str, value: str) -> bytes:
    return hashlib.sha256(f"{kind}:{value.strip().lower()}".encode()).digest()


def attempt(conn: psycopg.Connection, limits: list[tuple[bytes, int]], window_s: int) -> bool:
    """Count one attempt under each key; False (nothing counted) when a key has reached its limit."""
    with conn.transaction():
        conn.execute("DELETE FROM signin_attempts WHERE at < now() - make_interval(secs => %s)", [window_s])
        # Concurrent attempts under one key (several workers) are counted one after the other.
        for k in sorted(k for k, _ in limits):
            conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(encode(%s, 'hex'), 0))", [k])
        for k, limit in limits:
            row = conn.execute(
                "SELECT count(*) FROM signin_attempts WHERE key_hash = %s "
                "AND at >= now() - make_interval(secs => %s)",
                [k, window_s],
            ).fetchone()
            if row is not None and int(row[0]) >= limit:
                return False
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO signin_attempts (key_hash) VALUES (%s)", [[k] for k, _ in limits])
    return True
