"""One number that changes whenever the published SPASER reports do (`spaser_public_version`), as
`needs_public_version` does for the public needs: the public collectivité page is kept rendered
under both (leviers.web.kept_pages) and rendered again only when one of them moved. Kept by a
statement trigger, so every way a publication changes counts: publishing, withdrawing, and the
deletion of a workspace (its publications go with it).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

UPGRADE = r"""
CREATE TABLE spaser_public_version (
    single boolean PRIMARY KEY DEFAULT true CHECK (single),
    version bigint NOT NULL
);
INSERT INTO spaser_public_version (single, version) VALUES (true, 0);

CREATE FUNCTION spaser_publications_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE spaser_public_version SET version = version + 1;
    RETURN NULL;
END
$$;
CREATE TRIGGER spaser_publications_changed AFTER INSERT OR UPDATE OR DELETE ON spaser_publications
    FOR EACH STATEMENT EXECUTE FUNCTION spaser_publications_changed();
"""

DOWNGRADE = r"""
DROP TRIGGER spaser_publications_changed ON spaser_publications;
DROP FUNCTION spaser_publications_changed();
DROP TABLE spaser_public_version;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
