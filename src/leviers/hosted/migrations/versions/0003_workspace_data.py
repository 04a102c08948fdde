"""A collectivité workspace's own data: its purchase files and lines, its SPASER objectives and its
published SPASER reports; a network's member collectivités. Row-level isolation like 0001.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

UPGRADE = r"""
-- One purchase file deposited in a workspace: its reconciled counts and the first quarantine
-- reasons (the file itself is not kept). sha256: the same file twice is loaded once.
CREATE TABLE purchase_uploads (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id bigint NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    account_id bigint REFERENCES accounts (id) ON DELETE SET NULL,
    file_name text NOT NULL CHECK (length(file_name) BETWEEN 1 AND 200),
    sha256 bytea NOT NULL CHECK (length(sha256) = 32),
    records bigint NOT NULL CHECK (records >= 0),
    loaded bigint NOT NULL CHECK (loaded >= 0),
    quarantined bigint NOT NULL CHECK (quarantined >= 0),
    duplicates bigint NOT NULL CHECK (duplicates >= 0),
    warnings bigint NOT NULL DEFAULT 0,
    reasons jsonb NOT NULL DEFAULT '[]'::jsonb,
    notes jsonb NOT NULL DEFAULT '[]'::jsonb,
    at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (workspace_id, sha256)
);

-- The purchase lines the SPASER shares read (leviers.purchases.store.LINE_COLUMNS), with their key:
-- a line already loaded from another file is a duplicate, as in the local store.
CREATE TABLE purchase_lines (
    workspace_id bigint NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    upload_id bigint NOT NULL REFERENCES purchase_uploads (id) ON DELETE CASCADE,
    purchase_key text NOT NULL,
    occurrence integer NOT NULL,
    acheteur_siren text NOT NULL CHECK (acheteur_siren ~ '^[0-9]{9}$'),
    annee integer NOT NULL,
    fournisseur_nom text,
    fournisseur_siren text,
    departement_code text,
    montant_ht numeric(18, 2),
    montant_ttc numeric(18, 2),
    categorie text,
    entite text,
    PRIMARY KEY (workspace_id, purchase_key, occurrence)
);
CREATE INDEX purchase_lines_buyer_year ON purchase_lines (workspace_id, acheteur_siren, annee);

-- SPASER objectives set by the form: an indicator, a target as written (« 25 % »), a base, a year.
CREATE TABLE spaser_objectives (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id bigint NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    indicateur text NOT NULL CHECK (length(indicateur) BETWEEN 1 AND 80),
    cible text NOT NULL CHECK (length(cible) BETWEEN 1 AND 40),
    base text NOT NULL CHECK (base IN ('nombre', 'montant')),
    annee integer CHECK (annee BETWEEN 2000 AND 2100),
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (workspace_id, indicateur, base, annee)
);

-- A published SPASER report: the figures as they were at publication (a snapshot, never the
-- purchase lines). Public while not withdrawn; withdrawing keeps the row (and its log entry).
CREATE TABLE spaser_publications (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id bigint NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    siren text NOT NULL CHECK (siren ~ '^[0-9]{9}$'),
    annee integer NOT NULL,
    report jsonb NOT NULL,
    published_at timestamptz NOT NULL DEFAULT now(),
    withdrawn_at timestamptz
);
CREATE UNIQUE INDEX spaser_publications_current ON spaser_publications (workspace_id, annee) WHERE withdrawn_at IS NULL;
CREATE INDEX spaser_publications_siren ON spaser_publications (siren, annee) WHERE withdrawn_at IS NULL;

-- A network's member collectivités, by SIREN (with or without a workspace of their own here).
CREATE TABLE network_members (
    workspace_id bigint NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    siren text NOT NULL CHECK (siren ~ '^[0-9]{9}$'),
    added_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, siren)
);

ALTER TABLE purchase_uploads ENABLE ROW LEVEL SECURITY;
ALTER TABLE purchase_uploads FORCE ROW LEVEL SECURITY;
CREATE POLICY workspace_isolation ON purchase_uploads
    USING (workspace_id = leviers_workspace()) WITH CHECK (workspace_id = leviers_workspace());
ALTER TABLE purchase_lines ENABLE ROW LEVEL SECURITY;
ALTER TABLE purchase_lines FORCE ROW LEVEL SECURITY;
CREATE POLICY workspace_isolation ON purchase_lines
    USING (workspace_id = leviers_workspace()) WITH CHECK (workspace_id = leviers_workspace());
ALTER TABLE spaser_objectives ENABLE ROW LEVEL SECURITY;
ALTER TABLE spaser_objectives FORCE ROW LEVEL SECURITY;
CREATE POLICY workspace_isolation ON spaser_objectives
    USING (workspace_id = leviers_workspace()) WITH CHECK (workspace_id = leviers_workspace());
ALTER TABLE network_members ENABLE ROW LEVEL SECURITY;
ALTER TABLE network_members FORCE ROW LEVEL SECURITY;
CREATE POLICY workspace_isolation ON network_members
    USING (workspace_id = leviers_workspace()) WITH CHECK (workspace_id = leviers_workspace());
ALTER TABLE spaser_publications ENABLE ROW LEVEL SECURITY;
ALTER TABLE spaser_publications FORCE ROW LEVEL SECURITY;
CREATE POLICY workspace_isolation ON spaser_publications
    USING (workspace_id = leviers_workspace()) WITH CHECK (workspace_id = leviers_workspace());
-- Published figures are public: anyone reads a publication not withdrawn (policies add up for reading;
-- writing still needs the workspace's own context).
CREATE POLICY published_reading ON spaser_publications FOR SELECT USING (withdrawn_at IS NULL);
"""

DOWNGRADE = """
DROP TABLE network_members;
DROP TABLE spaser_publications;
DROP TABLE spaser_objectives;
DROP TABLE purchase_lines;
DROP TABLE purchase_uploads;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
