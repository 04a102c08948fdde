"""Small-count secrecy of the public needs: a public aggregate cell whose needs « aggregated only »
come from fewer than 3 organisations shows « secret (moins de 3) ». To count organisations without
naming them, each aggregated-only row of `needs_public` carries its organisation's *contributor
token*: a random UUID per workspace, kept in `needs_contributors` (row-level security: only the
workspace itself reads its own), so the public table still holds no organisation for such a need.
A detail row carries none (its organisation is public already).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

UPGRADE = r"""
CREATE TABLE needs_contributors (
    workspace_id bigint PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
    token uuid NOT NULL UNIQUE DEFAULT gen_random_uuid()
);
ALTER TABLE needs_contributors ENABLE ROW LEVEL SECURITY;
ALTER TABLE needs_contributors FORCE ROW LEVEL SECURITY;
CREATE POLICY workspace_isolation ON needs_contributors
    USING (workspace_id = leviers_workspace()) WITH CHECK (workspace_id = leviers_workspace());

ALTER TABLE needs_public ADD COLUMN contributor uuid;
-- The needs already public: row-level security applies to the owner (FORCE), lifted for the backfill.
ALTER TABLE needs NO FORCE ROW LEVEL SECURITY;
ALTER TABLE needs_contributors NO FORCE ROW LEVEL SECURITY;
INSERT INTO needs_contributors (workspace_id)
    SELECT DISTINCT workspace_id FROM needs WHERE visibility = 'agrege';
UPDATE needs_public AS p SET contributor = c.token
    FROM needs AS n JOIN needs_contributors AS c ON c.workspace_id = n.workspace_id
    WHERE p.need_id = n.id AND NOT p.detail;
ALTER TABLE needs FORCE ROW LEVEL SECURITY;
ALTER TABLE needs_contributors FORCE ROW LEVEL SECURITY;
ALTER TABLE needs_public ADD CONSTRAINT needs_public_contributor
    CHECK (detail = (contributor IS NULL));

-- As 0004's, plus the contributor token of an aggregated-only need (read in the writer's own
-- workspace session: row-level security shows it its own token only).
CREATE OR REPLACE FUNCTION needs_publish() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    found uuid;
BEGIN
    IF TG_OP = 'INSERT' AND NEW.visibility = 'prive' THEN
        RETURN NULL;  -- nothing public changes
    END IF;
    UPDATE needs_public_version SET version = version + 1;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        DELETE FROM needs_public WHERE need_id = OLD.id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.visibility <> 'prive' THEN
        IF NEW.visibility = 'agrege' THEN
            INSERT INTO needs_contributors (workspace_id) VALUES (NEW.workspace_id) ON CONFLICT DO NOTHING;
            SELECT token INTO found FROM needs_contributors WHERE workspace_id = NEW.workspace_id;
        END IF;
        INSERT INTO needs_public (need_id, detail, organisation_id, purpose, amount, form, horizon,
                                  region, departement, commune, theme, stage, usage, synthetic, updated_at,
                                  contributor)
        VALUES (NEW.id, NEW.visibility = 'detail',
                CASE WHEN NEW.visibility = 'detail' THEN NEW.workspace_id END,
                CASE WHEN NEW.visibility = 'detail' THEN NEW.purpose END,
                NEW.amount, NEW.form, NEW.horizon, NEW.region, NEW.departement, NEW.commune, NEW.theme,
                NEW.stage, NEW.usage, NEW.synthetic, NEW.updated_at, found);
    END IF;
    RETURN NULL;
END
$$;
"""

DOWNGRADE = r"""
CREATE OR REPLACE FUNCTION needs_publish() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' AND NEW.visibility = 'prive' THEN
        RETURN NULL;
    END IF;
    UPDATE needs_public_version SET version = version + 1;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        DELETE FROM needs_public WHERE need_id = OLD.id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.visibility <> 'prive' THEN
        INSERT INTO needs_public (need_id, detail, organisation_id, purpose, amount, form, horizon,
                                  region, departement, commune, theme, stage, usage, synthetic, updated_at)
        VALUES (NEW.id, NEW.visibility = 'detail',
                CASE WHEN NEW.visibility = 'detail' THEN NEW.workspace_id END,
                CASE WHEN NEW.visibility = 'detail' THEN NEW.purpose END,
                NEW.amount, NEW.form, NEW.horizon, NEW.region, NEW.departement, NEW.commune, NEW.theme,
                NEW.stage, NEW.usage, NEW.synthetic, NEW.updated_at);
    END IF;
    RETURN NULL;
END
$$;
ALTER TABLE needs_public DROP CONSTRAINT needs_public_contributor;
ALTER TABLE needs_public DROP COLUMN contributor;
DROP TABLE needs_contributors;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
