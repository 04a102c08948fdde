"""The needs of ESS organisations: each need belongs to a workspace (row-level security like every
private table); what its organisation chose to make public is copied, by a trigger, into
`needs_public`, which the public pages read without any workspace context.

`needs_public` holds only what may be shown: for a need public « aggregated only », its territory,
theme, stage, form, horizon and amount, with neither its purpose nor its organisation; for a need
public « in detail », its purpose and its organisation (the workspace, whose name is public) too.
A private need has no row there at all: a public query, right or wrong, cannot reveal what is not
in the table it reads.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# The audit actions of this revision. The CHECK constraint of audit_log is rebuilt from whatever
# it allows when this revision runs, plus these: another revision may have added its own.
ACTIONS = ("besoin_declare", "besoin_modifie", "besoin_supprime")
LISTED = "ARRAY[" + ", ".join(f"'{a}'" for a in ACTIONS) + "]::text[]"

_REBUILD_ACTIONS = r"""
DO $$
DECLARE
    found record;
    allowed text[] := ARRAY[]::text[];
BEGIN
    FOR found IN
        SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
        WHERE conrelid = 'audit_log'::regclass AND contype = 'c' AND pg_get_constraintdef(oid) LIKE '%action%'
    LOOP
        allowed := allowed || ARRAY(SELECT m[1] FROM regexp_matches(found.def, '''([^'']+)''', 'g') AS m);
        EXECUTE format('ALTER TABLE audit_log DROP CONSTRAINT %I', found.conname);
    END LOOP;
    allowed := ARRAY(SELECT DISTINCT a FROM unnest(SELECTION) AS a ORDER BY a);
    -- Written as IN ('a', 'b', …), which PostgreSQL shows as ARRAY['a'::text, …]: readable again above.
    EXECUTE format('ALTER TABLE audit_log ADD CONSTRAINT audit_log_action_check CHECK (action IN (%s))',
                   (SELECT string_agg(quote_literal(a), ', ') FROM unnest(allowed) AS a));
END
$$;
"""

UPGRADE = r"""
CREATE TABLE needs (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id bigint NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    purpose text NOT NULL CHECK (length(purpose) BETWEEN 3 AND 2000),
    amount numeric(14, 2) CHECK (amount > 0 AND amount < 1e12),
    form text NOT NULL CHECK (form IN (
        'subvention', 'pret', 'fonds_propres', 'quasi_fonds_propres', 'garantie', 'commande_publique'
    )),
    horizon text NOT NULL CHECK (horizon IN ('moins_6_mois', '6_12_mois', '1_3_ans', 'plus_3_ans')),
    -- The territory: a région, or a département (and its région), or a commune (and its département
    -- and région), codes of the COG as the shipped reference data give them.
    region text NOT NULL CHECK (region ~ '^[0-9]{2}$'),
    departement text CHECK (departement ~ '^([0-9]{2,3}|2A|2B)$'),
    commune text CHECK (commune IS NULL OR (commune ~ '^[0-9][0-9AB][0-9]{3}$' AND departement IS NOT NULL)),
    theme text NOT NULL CHECK (theme ~ '^[a-z0-9_-]{1,60}$'),
    stage text NOT NULL CHECK (stage IN ('amorcage', 'creation', 'developpement', 'consolidation', 'difficulte')),
    usage text CHECK (usage IN ('conseil', 'recrutement', 'investissement', 'tresorerie', 'cooperation')),
    visibility text NOT NULL DEFAULT 'prive' CHECK (visibility IN ('prive', 'agrege', 'detail')),
    synthetic boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX needs_workspace ON needs (workspace_id, id);
COMMENT ON TABLE needs IS 'A need of an ESS organisation (its workspace): private unless its visibility says otherwise';

ALTER TABLE needs ENABLE ROW LEVEL SECURITY;
ALTER TABLE needs FORCE ROW LEVEL SECURITY;
CREATE POLICY workspace_isolation ON needs
    USING (workspace_id = leviers_workspace())
    WITH CHECK (workspace_id = leviers_workspace());

-- What is public of the needs, and only that: no purpose nor organisation unless in detail.
CREATE TABLE needs_public (
    need_id bigint PRIMARY KEY REFERENCES needs (id) ON DELETE CASCADE,
    detail boolean NOT NULL,
    organisation_id bigint REFERENCES workspaces (id) ON DELETE CASCADE,
    purpose text,
    amount numeric(14, 2),
    form text NOT NULL,
    horizon text NOT NULL,
    region text NOT NULL,
    departement text,
    commune text,
    theme text NOT NULL,
    stage text NOT NULL,
    usage text,
    synthetic boolean NOT NULL,
    updated_at timestamptz NOT NULL,
    CHECK (detail OR (organisation_id IS NULL AND purpose IS NULL)),
    CHECK (NOT detail OR (organisation_id IS NOT NULL AND purpose IS NOT NULL))
);
CREATE INDEX needs_public_region ON needs_public (region, departement);
CREATE INDEX needs_public_departement ON needs_public (departement);
CREATE INDEX needs_public_commune ON needs_public (commune) WHERE commune IS NOT NULL;
COMMENT ON TABLE needs_public IS 'The public part of needs, written by the trigger needs_publish only';

-- One number that changes whenever needs_public does: the public pages keep their figures per
-- filter and this number, and recompute them only when it moved.
CREATE TABLE needs_public_version (
    single boolean PRIMARY KEY DEFAULT true CHECK (single),
    version bigint NOT NULL
);
INSERT INTO needs_public_version (single, version) VALUES (true, 0);

-- Runs as the writer, inside its workspace session: it reads the row written, never another's.
CREATE FUNCTION needs_publish() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' AND NEW.visibility = 'prive' THEN
        RETURN NULL;  -- nothing public changes
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
CREATE TRIGGER needs_publish AFTER INSERT OR UPDATE OR DELETE ON needs
    FOR EACH ROW EXECUTE FUNCTION needs_publish();
"""

DOWNGRADE = r"""
DROP TABLE needs_public;
DROP TABLE needs_public_version;
DROP TABLE needs;
DROP FUNCTION needs_publish();
"""


def _actions_sql(selection: str) -> str:
    return _REBUILD_ACTIONS.replace("SELECTION", selection)


def upgrade() -> None:
    op.execute(UPGRADE)
    op.execute(_actions_sql(f"allowed || {LISTED}"))


def downgrade() -> None:
    # The log's entries of these actions go with the needs (the CHECK could not hold them).
    # Row-level security applies to the owner (FORCE): lifted for this one statement.
    op.execute(
        "ALTER TABLE audit_log NO FORCE ROW LEVEL SECURITY; "
        f"DELETE FROM audit_log WHERE action = ANY ({LISTED}); "
        "ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;"
    )
    op.execute(DOWNGRADE)
    op.execute(_actions_sql(f"array(SELECT x FROM unnest(allowed) AS x WHERE x <> ALL ({LISTED}))"))
