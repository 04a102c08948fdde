"""A collectivité workspace's subsidy files (SCDL « subventions »): each deposited file with its
reconciled counts and first quarantine reasons, and its attribution lines as `leviers ingest` reads
them. Row-level isolation like every private table (0001, 0003). And the index a purchase file's
deletion needs (its lines by upload).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

UPGRADE = r"""
-- One subsidy file deposited in a workspace (the file itself is not kept); as purchase_uploads.
CREATE TABLE subsidy_uploads (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id bigint NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    account_id bigint REFERENCES accounts (id) ON DELETE SET NULL,
    file_name text NOT NULL CHECK (length(file_name) BETWEEN 1 AND 200),
    sha256 bytea NOT NULL CHECK (length(sha256) = 32),
    format text NOT NULL,
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

-- Attribution lines (one per beneficiary of a subsidy), with the warehouse's natural key: a line
-- already loaded from another file of the workspace is a duplicate, as in the warehouse.
CREATE TABLE subsidy_lines (
    workspace_id bigint NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    upload_id bigint NOT NULL REFERENCES subsidy_uploads (id) ON DELETE CASCADE,
    subsidy_key text NOT NULL,
    attribuant_siren text,
    nom_attribuant text,
    annee integer,
    date_convention date,
    reference_decision text,
    nom_beneficiaire text,
    beneficiaire_siren text,
    rna_beneficiaire text,
    objet text,
    montant numeric,
    montant_beneficiaire numeric,
    nature text,
    dispositif_aide text,
    PRIMARY KEY (workspace_id, subsidy_key)
);
CREATE INDEX subsidy_lines_upload ON subsidy_lines (upload_id);
-- Deleting a purchase file deletes its lines by upload (and the foreign key's cascade looks them up so).
CREATE INDEX purchase_lines_upload ON purchase_lines (upload_id);

ALTER TABLE subsidy_uploads ENABLE ROW LEVEL SECURITY;
ALTER TABLE subsidy_uploads FORCE ROW LEVEL SECURITY;
CREATE POLICY workspace_isolation ON subsidy_uploads
    USING (workspace_id = leviers_workspace()) WITH CHECK (workspace_id = leviers_workspace());
ALTER TABLE subsidy_lines ENABLE ROW LEVEL SECURITY;
ALTER TABLE subsidy_lines FORCE ROW LEVEL SECURITY;
CREATE POLICY workspace_isolation ON subsidy_lines
    USING (workspace_id = leviers_workspace()) WITH CHECK (workspace_id = leviers_workspace());
"""

DOWNGRADE = """
DROP INDEX purchase_lines_upload;
DROP TABLE subsidy_lines;
DROP TABLE subsidy_uploads;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
