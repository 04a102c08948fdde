"""The sign-in rate limit: per key, within a window, shared through PostgreSQL."""

from __future__ import annotations

import psycopg

from leviers.hosted import throttle


def test_attempts_are_counted_per_key_within_the_window(conn: psycopg.Connection) -> None:
    address, email = throttle.key("adresse", "192.0.2.1"), throttle.key("courriel", "A@B.fr")
    assert email == throttle.key("courriel", " a@b.fr")  # one address however it is typed
    allowed = [throttle.attempt(conn, [(address, 10), (email, 3)], 900) for _ in range(4)]
    assert allowed == [True, True, True, False]
    # The refused attempt counted nothing; another e-mail from the same address still passes.
    assert conn.execute("SELECT count(*) FROM signin_attempts WHERE key_hash = %s", [address]).fetchone() == (
        3,
    )
    assert throttle.attempt(conn, [(address, 10), (throttle.key("courriel", "c@d.fr"), 3)], 900)
    # Attempts older than the window are forgotten (and removed).
    conn.execute("UPDATE signin_attempts SET at = now() - interval '16 minutes'")
    assert throttle.attempt(conn, [(address, 10), (email, 3)], 900)
    assert conn.execute("SELECT count(*) FROM signin_attempts").fetchone() == (2,)


def test_no_address_is_stored(conn: psycopg.Connection) -> None:
    throttle.attempt(conn, [(throttle.key("courriel", "agent@ville-a.fr"), 5)], 900)
    stored = conn.execute("SELECT string_agg(encode(key_hash, 'escape'), '') FROM signin_attempts").fetchone()
    assert stored is not None
    assert "agent@ville-a.fr" not in str(stored[0])
