"""Sign-in: server-side sessions, single-use e-mail sign-in links and the sign-in attempts counted
by the rate limit. Only hashes of the tokens are stored.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

UPGRADE = r"""
-- One browser's session. account_id NULL: not signed in yet (it carries the sign-in forms' CSRF
-- token and the ProConnect flow's state); a signed-in session is a new row (rotation).
CREATE TABLE sessions (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    account_id bigint REFERENCES accounts (id) ON DELETE CASCADE,
    data jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_account ON sessions (account_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);
COMMENT ON TABLE sessions IS 'Server-side sessions: SHA-256 of the cookie token, idle (last_seen_at) and absolute (expires_at) expiry';

CREATE TABLE signin_links (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at timestamptz
);
CREATE INDEX signin_links_expires_at ON signin_links (expires_at);
COMMENT ON TABLE signin_links IS 'Single-use e-mail sign-in links: SHA-256 of the token, 15-minute expiry';

-- The rate limit of sign-in: one row per attempt, keyed by a hash of « address:… » or « email:… ».
CREATE TABLE signin_attempts (
    key_hash bytea NOT NULL CHECK (length(key_hash) = 32),
    at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX signin_attempts_key_at ON signin_attempts (key_hash, at);
"""

DOWNGRADE = """
DROP TABLE signin_attempts;
DROP TABLE signin_links;
DROP TABLE sessions;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
