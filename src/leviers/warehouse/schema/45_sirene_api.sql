-- Legal units learnt from the Recherche d'entreprises API (`leviers enrichir`, docs/ess.md).
-- The units themselves go to legal_units and the SIAE kinds to ess_list_entries, each batch of
-- answers through its own row of `ingestions` (format 'recherche-entreprises-api').

-- What the API answered for each SIREN asked: one row per SIREN, its last answer.
-- A SIREN the API does not know stays unknown ('inconnu'), never 'non ESS'.
CREATE TABLE IF NOT EXISTS sirene_api_lookups (
    siren         VARCHAR NOT NULL,      -- 9 digits
    status        VARCHAR NOT NULL,      -- 'trouve' (unit in legal_units) | 'inconnu' (no unit in the API) | 'refuse' (answer quarantined)
    asked_at      TIMESTAMPTZ NOT NULL,  -- when the API gave that answer (an answer reused from the cache keeps its date)
    ingestion_id  BIGINT NOT NULL        -- the batch that recorded it → ingestions
);

-- Each run of `leviers enrichir`; an unfinished run (finished_at NULL) is resumed by the next run
-- with the same source and selection.
CREATE TABLE IF NOT EXISTS sirene_api_runs (
    run_id       BIGINT NOT NULL,
    source       VARCHAR NOT NULL,       -- base URL of the API
    selection    VARCHAR NOT NULL,       -- 'manquants' | 'age-max N' (days) | 'rafraichir'
    started_at   TIMESTAMPTZ NOT NULL,
    finished_at  TIMESTAMPTZ,            -- NULL while running or after an interruption
    selected     BIGINT,                 -- SIRENs selected by the last attempt of the run
    found        BIGINT,                 -- answers with a legal unit
    unknown      BIGINT,                 -- answers without one
    failed       BIGINT                  -- SIRENs without an answer (network, 5xx after retries)
);
