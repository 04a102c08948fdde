-- Ingestion log and quarantine, shared by every dataset (DECP, subsidies, SIRENE, ESS lists).
-- Counting rule, for every file: records = loaded + quarantined + duplicates.

CREATE SEQUENCE IF NOT EXISTS ingestion_id_seq START 1;

CREATE TABLE IF NOT EXISTS ingestions (
    ingestion_id    BIGINT PRIMARY KEY,
    path            VARCHAR NOT NULL,      -- path as given on the command line (absolute)
    sha256          VARCHAR NOT NULL,      -- of the file's bytes as stored on disk
    size_bytes      BIGINT NOT NULL,
    dataset         VARCHAR NOT NULL,      -- decp | subventions | sirene | ess-liste | …
    format          VARCHAR NOT NULL,      -- detected format id, e.g. decp-json-2024
    records         BIGINT NOT NULL,       -- records read (unit stated per format in docs/warehouse.md)
    loaded          BIGINT NOT NULL,       -- records that added something new
    quarantined     BIGINT NOT NULL,       -- records refused, each with a row in `quarantine`
    duplicates      BIGINT NOT NULL,       -- records already present (in the warehouse or earlier in the file)
    synthetic       BOOLEAN NOT NULL DEFAULT false,  -- the file was produced by `leviers synth`
    started_at      TIMESTAMPTZ NOT NULL,
    finished_at     TIMESTAMPTZ NOT NULL,
    leviers_version VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS quarantine (
    ingestion_id  BIGINT NOT NULL,        -- → ingestions
    record_index  BIGINT NOT NULL,        -- 0-based position of the record in the file (row, array item…)
    record_id     VARCHAR,                -- the record's own id when it has one (contract id, SIRET…)
    field         VARCHAR,                -- field at fault, NULL when the whole record is at fault
    reason        VARCHAR NOT NULL,       -- in French, says what is wrong and what was expected
    raw           VARCHAR                 -- the record as read, as JSON text
);

-- Values kept with a warning: the record is loaded, one of its values is doubtful (e.g. a supplier
-- identified by a type the official schemas do not list). Never counted in the quarantine.
CREATE TABLE IF NOT EXISTS record_warnings (
    ingestion_id  BIGINT NOT NULL,        -- → ingestions
    record_index  BIGINT NOT NULL,        -- 0-based position of the record in the file
    record_id     VARCHAR,                -- the record's own id (contract id…)
    field         VARCHAR NOT NULL,       -- field of the doubtful value (official name)
    reason        VARCHAR NOT NULL,       -- in French: what is doubtful and what was done with it
    value         VARCHAR                 -- the value as published
);
