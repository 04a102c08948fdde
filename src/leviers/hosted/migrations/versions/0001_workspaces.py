"""Workspaces, accounts, memberships and the audit log, with row-level isolation per workspace.

Revision ID: 0001
Revises:
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

UPGRADE = r"""
-- The request's context, set per transaction by leviers.hosted.tenancy (set_config(..., true)).
-- Unset means NULL, and NULL matches no row: without a context, nothing private is visible.
CREATE FUNCTION leviers_workspace() RETURNS bigint LANGUAGE sql STABLE AS
$$ SELECT nullif(current_setting('leviers.workspace_id', true), '')::bigint $$;
CREATE FUNCTION leviers_account() RETURNS bigint LANGUAGE sql STABLE AS
$$ SELECT nullif(current_setting('leviers.account_id', true), '')::bigint $$;

CREATE TABLE workspaces (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('collectivite', 'reseau', 'organisation_ess')),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
    siren text CHECK (siren ~ '^[0-9]{9}$'),
    created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE workspaces IS 'A collectivité, network or ESS organisation workspace; its name is public, its data private';

CREATE TABLE accounts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text NOT NULL UNIQUE CHECK (email = lower(email) AND position('@' in email) > 1),
    display_name text CHECK (length(display_name) <= 200),
    proconnect_sub text UNIQUE,
    site_admin boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE accounts IS 'One person; minimal fields (GDPR): e-mail, optional display name, ProConnect subject';

CREATE TABLE memberships (
    workspace_id bigint NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    role text NOT NULL CHECK (role IN ('membre', 'administrateur')),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, account_id)
);

CREATE TABLE audit_log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id bigint NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    account_id bigint REFERENCES accounts (id) ON DELETE SET NULL,
    action text NOT NULL CHECK (action IN (
        'depot_fichier', 'publication', 'depublication', 'role_modifie', 'membre_ajoute', 'membre_retire',
        'suppression'
    )),
    detail jsonb NOT NULL DEFAULT '{}'::jsonb,
    at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_workspace_at ON audit_log (workspace_id, at);

-- Isolation: one rule per private table, applied to the owner too (FORCE).
ALTER TABLE memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE memberships FORCE ROW LEVEL SECURITY;
-- A member sees its workspace's members; an account sees its own memberships (to choose a workspace).
CREATE POLICY workspace_isolation ON memberships
    USING (workspace_id = leviers_workspace() OR account_id = leviers_account())
    WITH CHECK (workspace_id = leviers_workspace());

ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;
CREATE POLICY workspace_isolation ON audit_log
    USING (workspace_id = leviers_workspace())
    WITH CHECK (workspace_id = leviers_workspace());
"""

DOWNGRADE = """
DROP TABLE audit_log;
DROP TABLE memberships;
DROP TABLE accounts;
DROP TABLE workspaces;
DROP FUNCTION leviers_account();
DROP FUNCTION leviers_workspace();
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
