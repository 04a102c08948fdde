-- Subsidies (SCDL "subventions", every version, and the pre-decree layout).
-- Unit: one row per attribution line, i.e. per beneficiary of a subsidy (a subsidy shared by
-- several beneficiaries has one row each). SCDL field names in snake_case; derived columns in English.
-- Unknown stays NULL (never 0 or false): see docs/subsidies.md.

CREATE TABLE IF NOT EXISTS subsidies (
    subsidy_key             VARCHAR NOT NULL,   -- natural key, see docs/subsidies.md
    nom_attribuant          VARCHAR,
    id_attribuant           VARCHAR,            -- grantor SIRET, 14 characters
    attribuant_siren        VARCHAR,            -- 9 characters
    id_attribuant_precision_perdue BOOLEAN NOT NULL DEFAULT false,
    attribuant_source       VARCHAR,            -- fichier | nom du fichier | option --attribuant: where the grantor comes from
    date_convention         DATE,
    annee                   INTEGER,            -- year of the convention date, else the year-only date, else exercice
    annee_source            VARCHAR,            -- fichier | nom du fichier: where annee comes from; NULL when annee is unknown
    exercice                INTEGER,            -- budget year when the file has such a column (ANNEE, Année…)
    reference_decision      VARCHAR,
    nom_beneficiaire        VARCHAR,
    id_beneficiaire         VARCHAR,            -- SIRET, 14 characters, or NULL
    beneficiaire_siren      VARCHAR,            -- 9 characters, or NULL
    rna_beneficiaire        VARCHAR,            -- W + 9 digits
    id_beneficiaire_published VARCHAR,          -- the identifier as published
    id_beneficiaire_precision_perdue BOOLEAN NOT NULL DEFAULT false,  -- SIRET read from a float that lost digits
    id_beneficiaire_checksum_ok BOOLEAN,        -- Luhn key of id_beneficiaire; NULL when there is none
    objet                   VARCHAR,
    montant                 DOUBLE,             -- total amount of the subsidy (before the split between beneficiaries)
    montant_type            VARCHAR,            -- attribué (granted) | mandaté (paid in the year, lists of payments); NULL when montant is
    nature                  VARCHAR,            -- official value, NULL when the published one is not recognised
    nature_published        VARCHAR,
    conditions_versement    VARCHAR,
    dates_periode_versement VARCHAR,            -- AAAA-MM-JJ or AAAA-MM-JJ/AAAA-MM-JJ when readable, else as published
    id_rae                  VARCHAR,
    notification_ue         BOOLEAN,
    pourcentage_subvention  DOUBLE,             -- share of montant for this beneficiary, 0..1; NULL = unknown
    montant_beneficiaire    DOUBLE,             -- amount for this beneficiary; NULL = unknown
    montant_beneficiaire_rule VARCHAR,          -- pourcentage | beneficiaire_unique | montant_par_beneficiaire | repartition_inconnue
    dispositif_aide         VARCHAR,
    schema_version          VARCHAR NOT NULL,   -- 2.1.1 | 1.1 | etalab | pre-decree | liste: the layout the file follows
    schema_conform          BOOLEAN NOT NULL,   -- the line as published meets its official schema
    schema_errors           VARCHAR[],          -- departures from the official schema (French), empty when conform
    extra_columns           JSON,               -- non-SCDL columns of the line, as published
    source_format           VARCHAR NOT NULL,   -- format of the first file that brought the line
    synthetic               BOOLEAN NOT NULL DEFAULT false,
    first_ingestion_id      BIGINT NOT NULL
);

-- Every file an attribution line was met in (the same line in two files is stored once).
CREATE TABLE IF NOT EXISTS subsidy_sources (
    subsidy_key   VARCHAR NOT NULL,
    ingestion_id  BIGINT NOT NULL,
    record_index  BIGINT NOT NULL
);

-- Files whose publisher declares every beneficiary of one kind (a file of « subventions aux
-- associations »): evidence on the beneficiaries that only SIRENE or a list may confirm
-- (leviers.subsidies.declared, subsidy_beneficiary_status in 70_ess_money.sql).
CREATE TABLE IF NOT EXISTS subsidy_declarations (
    ingestion_id  BIGINT NOT NULL PRIMARY KEY,
    famille_ess   VARCHAR NOT NULL,   -- association_declaree
    preuve        VARCHAR NOT NULL    -- French: what in the file says so
);
