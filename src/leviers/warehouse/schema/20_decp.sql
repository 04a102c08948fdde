-- Public procurement (DECP): contracts (marchés) and concessions, normalised from every format.
-- Column names are the official DECP field names in snake_case; derived columns are in English.
-- Unit: one row of `contracts` per initial contract, keyed by buyer SIRET + internal id.
-- Unknown stays NULL (never 0 or false): see docs/warehouse.md.

CREATE TABLE IF NOT EXISTS contracts (
    contract_key            VARCHAR NOT NULL USING COMPRESSION zstd,   -- acheteur_id || '|' || id
    uid                     VARCHAR USING COMPRESSION zstd,            -- national uid as published, else acheteur_id || id
    acheteur_id             VARCHAR NOT NULL,   -- buyer SIRET, 14 characters
    acheteur_siren          VARCHAR NOT NULL,   -- first 9 characters of acheteur_id
    acheteur_nom            VARCHAR,            -- as published (format 2019 and tabular files only)
    id                      VARCHAR NOT NULL USING COMPRESSION zstd,   -- buyer's internal contract id
    schema_version          VARCHAR NOT NULL,   -- '1.5' (format 2019) or '2.0' (format 2024)
    source_format           VARCHAR NOT NULL,   -- format of the first file that brought the contract
    nature                  VARCHAR,
    objet                   VARCHAR USING COMPRESSION zstd,
    procedure               VARCHAR,            -- normalised to the current enum
    procedure_publiee       VARCHAR,            -- label as published when it was an older one
    cpv                     VARCHAR,            -- 8 digits, check digit removed
    montant                 DOUBLE,             -- initial notified amount, € HT (flat price or estimated maximum)
    date_notification       DATE,
    date_publication        DATE,
    duree_mois              INTEGER,
    lieu_code               VARCHAR,
    lieu_type_code          VARCHAR,
    lieu_nom                VARCHAR,
    forme_prix              VARCHAR,
    types_prix              VARCHAR[],
    techniques              VARCHAR[],
    modalites_execution     VARCHAR[],
    id_accord_cadre         VARCHAR,
    ccag                    VARCHAR,
    marche_innovant         BOOLEAN,
    offres_recues           INTEGER,
    attribution_avance      BOOLEAN,
    taux_avance             DOUBLE,
    type_groupement         VARCHAR,
    sous_traitance_declaree BOOLEAN,
    origine_ue              DOUBLE,
    origine_france          DOUBLE,
    considerations_sociales          VARCHAR[],  -- as published, normalised labels; NULL when not given
    considerations_environnementales VARCHAR[],
    has_social              BOOLEAN,            -- ≥ 1 of clause, criterion, reserved; NULL = unknown
    social_clause           BOOLEAN,
    social_criterion        BOOLEAN,
    social_reserved         BOOLEAN,            -- « Marché réservé »
    social_unknown          VARCHAR,            -- why has_social is NULL: 'format 2019', 'NC', 'MQ', 'absent'
    has_environmental       BOOLEAN,
    env_clause              BOOLEAN,
    env_criterion           BOOLEAN,
    env_unknown             VARCHAR,
    current_montant         DOUBLE,             -- after the latest modification that set an amount
    current_duree_mois      INTEGER,
    modification_count      INTEGER NOT NULL DEFAULT 0,
    last_modification_date  DATE,
    synthetic               BOOLEAN NOT NULL DEFAULT false,
    first_ingestion_id      BIGINT NOT NULL
);

-- One row per contract × supplier. modification_id 0 = supplier of the initial contract,
-- n > 0 = supplier set by modification n.
CREATE TABLE IF NOT EXISTS contract_suppliers (
    contract_key      VARCHAR NOT NULL USING COMPRESSION zstd,
    modification_id   INTEGER NOT NULL,
    position          SMALLINT NOT NULL,    -- order in the published list, from 1
    titulaire_id      VARCHAR NOT NULL,
    titulaire_type_identifiant VARCHAR,     -- SIRET, TVA, TAHITI, RIDET, FRWF, IREP, UE, HORS-UE
    titulaire_siren   VARCHAR,              -- first 9 characters when the id is a SIRET
    titulaire_nom     VARCHAR               -- as published, when the source gives one
);

CREATE TABLE IF NOT EXISTS contract_modifications (
    contract_key      VARCHAR NOT NULL,
    modification_id   INTEGER NOT NULL,     -- 1, 2, … in publication order
    objet_modification VARCHAR,             -- format 2019 only
    date_notification DATE,
    date_publication  DATE,
    duree_mois        INTEGER,              -- NULL when the modification does not change it
    montant           DOUBLE,               -- NULL when the modification does not change it
    changes_titulaires BOOLEAN NOT NULL DEFAULT false,
    ingestion_id      BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS subcontracting_acts (
    contract_key      VARCHAR NOT NULL,
    acte_id           VARCHAR NOT NULL,
    sous_traitant_id  VARCHAR,
    sous_traitant_type_identifiant VARCHAR,
    duree_mois        INTEGER,
    date_notification DATE,
    date_publication  DATE,
    montant           DOUBLE,
    variation_prix    VARCHAR
);

-- Every file a contract was met in (the same contract in two files is stored once).
CREATE TABLE IF NOT EXISTS contract_sources (
    contract_key  VARCHAR NOT NULL USING COMPRESSION zstd,
    ingestion_id  BIGINT NOT NULL,
    record_index  BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS concessions (
    concession_key          VARCHAR NOT NULL,  -- autorite_concedante_id || '|' || id
    uid                     VARCHAR,
    autorite_concedante_id  VARCHAR NOT NULL,  -- SIRET, 14 characters
    autorite_concedante_siren VARCHAR NOT NULL,
    autorite_concedante_nom VARCHAR,
    id                      VARCHAR NOT NULL,
    schema_version          VARCHAR NOT NULL,
    source_format           VARCHAR NOT NULL,
    nature                  VARCHAR,
    objet                   VARCHAR,
    procedure               VARCHAR,
    lieu_code               VARCHAR,           -- format 2019 only
    lieu_type_code          VARCHAR,
    lieu_nom                VARCHAR,
    duree_mois              INTEGER,
    date_signature          DATE,
    date_publication        DATE,
    date_debut_execution    DATE,
    valeur_globale          DOUBLE,
    montant_subvention_publique DOUBLE,
    considerations_sociales          VARCHAR[],
    considerations_environnementales VARCHAR[],
    has_social              BOOLEAN,
    social_clause           BOOLEAN,
    social_criterion        BOOLEAN,
    social_reserved         BOOLEAN,           -- « Concession réservée »
    social_unknown          VARCHAR,
    has_environmental       BOOLEAN,
    env_clause              BOOLEAN,
    env_criterion           BOOLEAN,
    env_unknown             VARCHAR,
    current_valeur_globale  DOUBLE,
    current_duree_mois      INTEGER,
    modification_count      INTEGER NOT NULL DEFAULT 0,
    synthetic               BOOLEAN NOT NULL DEFAULT false,
    first_ingestion_id      BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS concession_holders (
    concession_key    VARCHAR NOT NULL,
    position          SMALLINT NOT NULL,
    concessionnaire_id VARCHAR NOT NULL,
    concessionnaire_type_identifiant VARCHAR,
    concessionnaire_siren VARCHAR,
    concessionnaire_nom VARCHAR
);

CREATE TABLE IF NOT EXISTS concession_modifications (
    concession_key    VARCHAR NOT NULL,
    modification_id   INTEGER NOT NULL,
    objet_modification VARCHAR,
    date_signature    DATE,
    date_publication  DATE,
    duree_mois        INTEGER,
    valeur_globale    DOUBLE,
    ingestion_id      BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS concession_execution (
    concession_key    VARCHAR NOT NULL,
    date_publication  DATE,
    depenses_investissement DOUBLE,
    tarifs            STRUCT(intitule_tarif VARCHAR, tarif DOUBLE)[]
);

CREATE TABLE IF NOT EXISTS concession_sources (
    concession_key  VARCHAR NOT NULL,
    ingestion_id    BIGINT NOT NULL,
    record_index    BIGINT NOT NULL
);
