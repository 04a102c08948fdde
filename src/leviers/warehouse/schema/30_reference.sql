-- Collectivités reference (communes, EPCI, départements, régions, statut particulier), shipped
-- with the product and copied here by leviers.reference.ensure_reference_tables when the
-- warehouse is opened for writing. The copy is keyed on warehouse_meta 'reference_version':
-- it is reloaded only when the shipped version changes. Sources and licence: docs/reference.md.

-- Every collectivité that has a SIREN (one row per SIREN).
CREATE TABLE IF NOT EXISTS ref_collectivites (
    siren              VARCHAR NOT NULL,   -- unique (checked by the build)
    type               VARCHAR NOT NULL,   -- commune | epci | departement | region | statut_particulier
    type_libelle       VARCHAR NOT NULL,   -- French label
    nature             VARCHAR NOT NULL,   -- COMMUNE, CC, CA, CU, METRO, EPT, DEPARTEMENT, REGION, VILLE_DE_PARIS, MET69, CEA, CORSE, CTU, MAYOTTE, COLLECTIVITE_OUTRE_MER
    nature_libelle     VARCHAR NOT NULL,
    code               VARCHAR NOT NULL,   -- INSEE code; the SIREN for EPCI
    nom                VARCHAR NOT NULL,
    population         INTEGER,            -- population municipale (INSEE); NULL = unknown
    departement_code   VARCHAR,            -- NULL when it spans several départements
    region_code        VARCHAR,
    departements       VARCHAR[] NOT NULL, -- départements it covers
    epci_siren         VARCHAR,            -- communes: their EPCI à fiscalité propre
    commune_principale VARCHAR,            -- chef-lieu; for an EPCI its most populous member
    competences        VARCHAR[] NOT NULL, -- levels exercised: commune, epci, departement, region
    groupe_pairs       VARCHAR NOT NULL,   -- peer group: commune | epci | departement | region
    tranche_population VARCHAR,            -- → ref_population_bands; NULL when population unknown
    tranche_libelle    VARCHAR,
    source             VARCHAR NOT NULL    -- decoupage-administratif | dora | decp (docs/reference.md)
);

-- Current communes (COG), with or without a SIREN.
CREATE TABLE IF NOT EXISTS ref_communes (
    code_insee       VARCHAR NOT NULL,    -- unique
    nom              VARCHAR NOT NULL,
    siren            VARCHAR,
    departement_code VARCHAR NOT NULL,
    region_code      VARCHAR NOT NULL,
    epci_siren       VARCHAR,
    ept_siren        VARCHAR,
    population       INTEGER,
    code_postal      VARCHAR,
    zone             VARCHAR NOT NULL     -- metro | drom | com
);

-- EPCI à fiscalité propre (CC, CA, CU, METRO, MET69) and EPT of the Grand Paris.
CREATE TABLE IF NOT EXISTS ref_epci (
    siren              VARCHAR NOT NULL,   -- unique (checked by the build)
    nom                VARCHAR NOT NULL,
    nature             VARCHAR NOT NULL,
    mode_financement   VARCHAR,
    population         INTEGER,           -- population municipale (DGCL list)
    population_totale  INTEGER,
    nb_communes        INTEGER NOT NULL,
    departement_code   VARCHAR,           -- département holding most of its population
    region_code        VARCHAR,
    commune_principale VARCHAR
);

CREATE TABLE IF NOT EXISTS ref_departements (
    code               VARCHAR NOT NULL,  -- unique
    nom                VARCHAR NOT NULL,
    region_code        VARCHAR NOT NULL,
    chef_lieu          VARCHAR,
    siren              VARCHAR,           -- the département's own SIREN; NULL when none (75, 2A, 2B, 67, 68, 972, 973, 976, COM)
    collectivite_siren VARCHAR,           -- who exercises the départemental competences there
    population         INTEGER,
    zone               VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS ref_regions (
    code               VARCHAR NOT NULL,  -- unique
    nom                VARCHAR NOT NULL,
    chef_lieu          VARCHAR,
    siren              VARCHAR,
    collectivite_siren VARCHAR,
    population         INTEGER,
    zone               VARCHAR NOT NULL
);

-- Population bands per peer group (from leviers.reference.bands).
CREATE TABLE IF NOT EXISTS ref_population_bands (
    groupe_pairs       VARCHAR NOT NULL,
    tranche_population VARCHAR NOT NULL,  -- unique
    tranche_libelle    VARCHAR NOT NULL,
    population_min     INTEGER NOT NULL,  -- inclusive
    population_max     INTEGER,           -- exclusive; NULL = no upper bound
    rang               INTEGER NOT NULL
);

-- Every distinct buyer SIREN of contracts and concessions, mapped to its collectivité, or to
-- 'autre' / « autre acheteur public » (State, hospitals, syndicates, public companies…).
CREATE OR REPLACE VIEW buyer_collectivites AS
WITH buyers AS (
    SELECT siren, sum(n_contracts)::BIGINT AS contracts, sum(n_concessions)::BIGINT AS concessions
    FROM (
        SELECT acheteur_siren AS siren, count(*) AS n_contracts, 0 AS n_concessions
        FROM contracts GROUP BY acheteur_siren
        UNION ALL
        SELECT autorite_concedante_siren AS siren, 0 AS n_contracts, count(*) AS n_concessions
        FROM concessions GROUP BY autorite_concedante_siren
    ) AS per_table
    GROUP BY siren
)
SELECT
    b.siren                                        AS acheteur_siren,
    b.contracts,
    b.concessions,
    c.siren IS NOT NULL                            AS is_collectivite,
    coalesce(c.type, 'autre')                      AS collectivite_type,
    coalesce(c.type_libelle, 'autre acheteur public') AS type_libelle,
    c.nature,
    c.nature_libelle,
    c.nom,
    c.code,
    c.population,
    c.departement_code,
    c.region_code,
    c.epci_siren,
    c.groupe_pairs,
    c.tranche_population,
    c.tranche_libelle
FROM buyers AS b
LEFT JOIN ref_collectivites AS c ON c.siren = b.siren;
