-- The catalogue of funding schemes (dispositifs d'aide): one row per scheme, in Etalab's
-- dispositif-aide schema v0.2.0 (its professionnels extension included), from dispositif-aide
-- files (CSV, JSON) and Aides-territoires answers loaded by `leviers ingest`. The regulations
-- shipped with Leviers (src/leviers/data/aides/reglements/) are read from their files, not stored.
-- Counting unit of a file: one scheme. A scheme already present with the same or a later
-- date_mise_a_jour is a duplicate; a later version replaces the earlier one.

CREATE TABLE IF NOT EXISTS aides_dispositifs (
    id                                   VARCHAR NOT NULL,  -- the schema's id (a UUID), unique
    titre                                VARCHAR NOT NULL,
    promesse                             VARCHAR,
    description                          VARCHAR NOT NULL,
    eligibilite                          VARCHAR NOT NULL,
    types_aides                          VARCHAR NOT NULL,  -- pipe-separated, as in the schema
    porteurs                             VARCHAR NOT NULL,  -- as published ({nom, siren, roles[]}[])
    programmes_parents                   VARCHAR,
    url_source                           VARCHAR,
    cibles                               VARCHAR NOT NULL,  -- professionnels|particuliers|associations|secteur public
    eligibilite_geographique             VARCHAR,           -- COG codes (REG-75|DEP-33); NULL: not translated (see perimetre)
    eligibilite_geographique_exclusions  VARCHAR,
    date_ouverture                       TIMESTAMPTZ,
    date_cloture                         TIMESTAMPTZ,
    date_mise_a_jour                     TIMESTAMPTZ NOT NULL,
    champs_professionnels                JSON,              -- the professionnels extension's fields present, by name
    -- Beyond the schema (docs/aides.md): what the source says in its own vocabulary.
    perimetre                            VARCHAR,           -- the source's territory as it names it (Aides-territoires' perimeter)
    themes                               VARCHAR[],         -- the source's themes (Aides-territoires: « Thème / Catégorie »)
    etapes                               VARCHAR[],         -- the source's stages (Aides-territoires: mobilization steps)
    beneficiaires                        VARCHAR[],         -- the source's audiences (Aides-territoires: targeted audiences)
    taux_min                             DOUBLE,            -- subsidy rate bounds in % as published; NULL: not given
    taux_max                             DOUBLE,
    origine                              VARCHAR NOT NULL,  -- dispositif-aide | aides-territoires
    id_origine                           VARCHAR,           -- the scheme's own number at its source (Aides-territoires id)
    source                               VARCHAR NOT NULL,  -- where the scheme was read: its page, else the file
    licence                              VARCHAR,           -- the licence the source gives; NULL: not stated
    date_source                          TIMESTAMPTZ NOT NULL,  -- when the source was read (download, else load)
    ingestion_id                         BIGINT NOT NULL,   -- → ingestions
    record_index                         BIGINT NOT NULL    -- position of the scheme in its file
);
