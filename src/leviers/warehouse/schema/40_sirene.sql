-- Legal units (INSEE SIRENE StockUniteLegale) and who is ESS, with the evidence of each source.
-- Rules, legal references and precedence: docs/ess.md. Unknown stays NULL / 'inconnu', never 'non ESS'.

-- One row per SIREN: the legal unit as described by the most recent SIRENE stock loaded.
-- By default only the SIRENs present in the warehouse (suppliers, buyers, subsidy grantors and
-- beneficiaries) are loaded; `leviers ingest --tout` loads the whole stock.
CREATE TABLE IF NOT EXISTS legal_units (
    siren                      VARCHAR NOT NULL,  -- 9 digits, unique
    denomination               VARCHAR,           -- denominationUniteLegale; for a natural person « prénom nom »
    sigle                      VARCHAR,
    categorie_juridique        VARCHAR,           -- 4 characters, INSEE nomenclature niveau III
    categorie_entreprise       VARCHAR,           -- PME | ETI | GE | NULL (INSEE categorieEntreprise)
    annee_categorie_entreprise INTEGER,
    economie_sociale_solidaire VARCHAR,           -- O | N | NULL (economieSocialeSolidaireUniteLegale)
    societe_mission            VARCHAR,           -- O | N | NULL (societeMissionUniteLegale)
    etat_administratif         VARCHAR,           -- A (active) | C (ceased)
    date_creation              DATE,
    activite_principale        VARCHAR,           -- NAF code as published, e.g. 62.01Z
    nomenclature_activite      VARCHAR,           -- NAFRev2, …
    tranche_effectifs          VARCHAR,           -- INSEE size band code (NN, 00, 01, …)
    identifiant_association    VARCHAR,           -- RNA number (W + 9 digits) of an association
    statut_diffusion           VARCHAR,           -- O (public) | P (partially hidden names)
    date_dernier_traitement    TIMESTAMP,         -- INSEE's last update; an older stock never overwrites a newer one
    synthetic                  BOOLEAN NOT NULL DEFAULT false,
    first_ingestion_id         BIGINT NOT NULL,   -- the file that first brought the unit
    ingestion_id               BIGINT NOT NULL    -- the file its current values come from
);

-- What each SIRENE load read: the stock has ~28 M rows, a default load keeps only those in scope.
CREATE TABLE IF NOT EXISTS sirene_loads (
    ingestion_id   BIGINT NOT NULL,
    scope          VARCHAR NOT NULL,   -- 'entrepot' (SIRENs present in the warehouse) | 'tout'
    rows_in_file   BIGINT NOT NULL,
    rows_in_scope  BIGINT NOT NULL,    -- = records of the ingestion log for this file
    scope_sirens   BIGINT              -- SIRENs the warehouse held when the file was read (NULL for 'tout')
);

-- Legal categories: the documented ESS reading of each code (shipped list
-- src/leviers/data/ess/categories_juridiques.csv, copied here by leviers.ess.reference).
CREATE TABLE IF NOT EXISTS ess_legal_categories (
    niveau      VARCHAR NOT NULL,   -- 'III' (4-digit code) or 'I' (first digit: default of the family)
    code        VARCHAR NOT NULL,
    libelle     VARCHAR NOT NULL,   -- INSEE label
    famille     VARCHAR NOT NULL,   -- association, fondation, mutuelle, scop, cooperative, societe_commerciale, …
    indication  VARCHAR NOT NULL,   -- 'ESS' | 'non ESS' | 'non concluant'
    regle       VARCHAR NOT NULL,   -- forme_ess | hors_champ | forme_non_concluante
    reference   VARCHAR,            -- legal reference of the reading
    note        VARCHAR
);

-- What a list entry means (SIAE kinds, ESUS approval, ESS France): same role as the table above.
CREATE TABLE IF NOT EXISTS ess_list_values (
    source      VARCHAR NOT NULL,   -- esus | siae | ess_france
    value       VARCHAR NOT NULL,   -- e.g. ACI, EI, EA for siae; 'agréée' for esus; 'inscrite' for ess_france
    libelle     VARCHAR NOT NULL,
    indication  VARCHAR NOT NULL,   -- 'ESS' | 'non concluant'
    regle       VARCHAR NOT NULL,
    reference   VARCHAR
);

-- Members of the ESS lists loaded (ESUS approvals, SIAE/EA/ESAT of the Marché de l'inclusion,
-- ESS France's list). One row per establishment or unit listed; lists accumulate.
CREATE TABLE IF NOT EXISTS ess_list_entries (
    source        VARCHAR NOT NULL,   -- esus | siae | ess_france
    siren         VARCHAR NOT NULL,
    siret         VARCHAR,            -- when the list gives one
    value         VARCHAR NOT NULL,   -- → ess_list_values
    nom           VARCHAR,            -- name as listed
    ingestion_id  BIGINT NOT NULL,
    record_index  BIGINT NOT NULL
);

-- The evidence: one row per statement of a source about a SIREN.
CREATE OR REPLACE VIEW ess_evidence AS
SELECT
    lu.siren,
    'insee_ess' AS source,
    lu.economie_sociale_solidaire AS value,
    CASE lu.economie_sociale_solidaire WHEN 'O' THEN 'ESS' ELSE 'non ESS' END AS indication,
    CASE lu.economie_sociale_solidaire
        WHEN 'O' THEN 'indicateur ESS de l''INSEE = O (unité légale de l''ESS au répertoire SIRENE)'
        ELSE 'indicateur ESS de l''INSEE = N (pas de qualité d''entreprise de l''ESS au répertoire SIRENE)'
    END AS detail,
    CASE lu.economie_sociale_solidaire WHEN 'O' THEN 'insee_ess' ELSE 'insee_non_ess' END AS regle,
    'Loi n° 2014-856 du 31 juillet 2014, art. 1er ; répertoire SIRENE (INSEE)' AS reference,
    lu.ingestion_id
FROM legal_units AS lu
WHERE lu.economie_sociale_solidaire IN ('O', 'N')
UNION ALL
SELECT
    lu.siren,
    'categorie_juridique' AS source,
    lu.categorie_juridique AS value,
    coalesce(c3.indication, c1.indication) AS indication,
    coalesce(c3.libelle, c1.libelle || ' (code non répertorié)') || ' (' || lu.categorie_juridique || ') : '
        || coalesce(c3.note, c1.note) AS detail,
    coalesce(c3.regle, c1.regle) AS regle,
    coalesce(c3.reference, c1.reference) AS reference,
    lu.ingestion_id
FROM legal_units AS lu
LEFT JOIN ess_legal_categories AS c3 ON c3.niveau = 'III' AND c3.code = lu.categorie_juridique
LEFT JOIN ess_legal_categories AS c1 ON c1.niveau = 'I' AND c1.code = left(lu.categorie_juridique, 1)
WHERE lu.categorie_juridique IS NOT NULL AND (c3.code IS NOT NULL OR c1.code IS NOT NULL)
UNION ALL
SELECT
    e.siren,
    e.source,
    e.value,
    coalesce(v.indication, 'non concluant') AS indication,
    coalesce(v.libelle, e.value) || coalesce(' — ' || e.nom, '') || coalesce(' (SIRET ' || e.siret || ')', '') AS detail,
    coalesce(v.regle, 'liste_non_concluante') AS regle,
    v.reference,
    e.ingestion_id
FROM ess_list_entries AS e
LEFT JOIN ess_list_values AS v ON v.source = e.source AND v.value = e.value;

-- Per SIREN, what the lists say (one row per SIREN listed anywhere).
CREATE OR REPLACE VIEW ess_list_summary AS
SELECT
    e.siren,
    bool_or(e.source = 'esus' AND v.indication = 'ESS') AS esus,
    bool_or(e.source = 'siae' AND v.indication = 'ESS') AS siae,
    bool_or(e.source = 'ess_france' AND v.indication = 'ESS') AS ess_france,
    string_agg(DISTINCT CASE WHEN e.source = 'siae' AND v.indication = 'ESS' THEN e.value END, ', '
               ORDER BY CASE WHEN e.source = 'siae' AND v.indication = 'ESS' THEN e.value END) AS siae_kinds,
    list_sort(list(DISTINCT e.source) FILTER (WHERE v.indication = 'ESS')) AS ess_sources,
    list_sort(list(DISTINCT e.source || ' (' || e.value || ')') FILTER (WHERE coalesce(v.indication, 'non concluant') <> 'ESS'))
        AS inconclusive
FROM ess_list_entries AS e
LEFT JOIN ess_list_values AS v ON v.source = e.source AND v.value = e.value
GROUP BY e.siren;

-- The status of every SIREN that a loaded source describes (legal units and list members).
-- A SIREN absent from this view is unknown: no SIRENE stock or list loaded mentions it.
-- Precedence (first rule that applies decides; docs/ess.md explains each):
--   1 hors_champ      legal form outside the ESS (natural person, public body, no legal personality) → non ESS
--   2 forme_ess       legal form that is ESS by law (association, foundation, mutual, cooperative, SCOP) → ESS
--   3 agrement_esus   ESUS approval → ESS
--   4 liste_siae      insertion / sheltered-work structure (Marché de l'inclusion) → ESS
--   5 liste_ess_france  listed by ESS France / the CRESS → ESS
--   6 insee_ess       INSEE flag O → ESS
--   7 insee_non_ess   INSEE flag N, nothing above → non ESS
--   8 inconnu         nothing conclusive
CREATE OR REPLACE VIEW ess_status AS
WITH units AS (
    SELECT
        coalesce(lu.siren, l.siren) AS siren,
        lu.siren IS NOT NULL AS in_sirene,
        lu.categorie_juridique,
        lu.economie_sociale_solidaire AS insee,
        coalesce(c3.libelle, c1.libelle) AS cj_libelle,
        coalesce(c3.famille, c1.famille) AS famille,
        coalesce(c3.indication, c1.indication) AS cj,
        coalesce(c3.note, c1.note) AS cj_note,
        coalesce(l.esus, false) AS esus,
        coalesce(l.siae, false) AS siae,
        coalesce(l.ess_france, false) AS ess_france,
        l.siae_kinds,
        coalesce(l.ess_sources, []) AS list_ess_sources,
        coalesce(l.inconclusive, []) AS list_inconclusive
    FROM legal_units AS lu
    FULL OUTER JOIN ess_list_summary AS l ON l.siren = lu.siren
    LEFT JOIN ess_legal_categories AS c3 ON c3.niveau = 'III' AND c3.code = lu.categorie_juridique
    LEFT JOIN ess_legal_categories AS c1 ON c1.niveau = 'I' AND c1.code = left(lu.categorie_juridique, 1)
),
ruled AS (
    SELECT *,
        CASE
            WHEN cj = 'non ESS' THEN 'hors_champ'
            WHEN cj = 'ESS' THEN 'forme_ess'
            WHEN esus THEN 'agrement_esus'
            WHEN siae THEN 'liste_siae'
            WHEN ess_france THEN 'liste_ess_france'
            WHEN insee = 'O' THEN 'insee_ess'
            WHEN insee = 'N' THEN 'insee_non_ess'
            ELSE 'inconnu'
        END AS rule,
        list_concat(
            CASE WHEN cj = 'ESS' THEN ['categorie_juridique'] ELSE [] END,
            list_ess_sources,
            CASE WHEN insee = 'O' THEN ['insee_ess'] ELSE [] END
        ) AS ess_sources,
        list_concat(
            CASE WHEN cj = 'non ESS' THEN ['categorie_juridique'] ELSE [] END,
            CASE WHEN insee = 'N' THEN ['insee_ess'] ELSE [] END
        ) AS non_ess_sources,
        coalesce(cj_libelle, '') || ' (' || coalesce(categorie_juridique, '?') || ')' AS forme
    FROM units
)
SELECT
    siren,
    CASE
        WHEN rule IN ('hors_champ', 'insee_non_ess') THEN 'non ESS'
        WHEN rule = 'inconnu' THEN 'inconnu'
        ELSE 'ESS'
    END AS status,
    rule,
    CASE rule
        WHEN 'hors_champ' THEN 'non ESS : forme juridique hors du champ de l''ESS, ' || forme || ' — ' || cj_note
            || ' ; la loi n° 2014-856 (art. 1er) ne range dans l''ESS que des personnes morales de droit privé'
        WHEN 'forme_ess' THEN 'ESS de droit : ' || forme || ' — forme que la loi n° 2014-856 (art. 1er, II, 1°) range dans l''ESS'
        WHEN 'agrement_esus' THEN 'ESS : agrément « entreprise solidaire d''utilité sociale » (code du travail, art. L3332-17-1), réservé aux entreprises de l''ESS'
        WHEN 'liste_siae' THEN 'ESS : structure ' || siae_kinds || ' du Marché de l''inclusion, agréée ESUS de plein droit (code du travail, art. L3332-17-1, II)'
        WHEN 'liste_ess_france' THEN 'ESS : inscrite sur la liste des entreprises de l''ESS tenue par les CRESS et ESS France (loi n° 2014-856, art. 6)'
        WHEN 'insee_ess' THEN 'ESS : indicateur ESS de l''INSEE = O ; ' || forme || ' n''est pas ESS de droit, c''est la qualité d''ESS déclarée au répertoire qui compte (loi n° 2014-856, art. 1er, II, 2° et III)'
        WHEN 'insee_non_ess' THEN 'non ESS : indicateur ESS de l''INSEE = N, ' || forme || ' n''est pas ESS de droit et aucune liste (ESUS, SIAE, ESS France) ne la cite'
        ELSE 'inconnu : ' || CASE
            WHEN NOT in_sirene THEN 'SIREN absent du stock SIRENE chargé'
                || CASE WHEN len(list_inconclusive) > 0 THEN ' ; listes non concluantes : ' || array_to_string(list_inconclusive, ', ') ELSE '' END
            WHEN categorie_juridique IS NULL THEN 'ni forme juridique ni indicateur ESS de l''INSEE'
            ELSE forme || ' n''est pas ESS de droit et l''indicateur ESS de l''INSEE n''est pas renseigné'
                || CASE WHEN cj_note IS NOT NULL AND cj = 'non concluant' THEN ' (' || cj_note || ')' ELSE '' END
        END
    END
    || CASE
        WHEN rule IN ('forme_ess', 'agrement_esus', 'liste_siae', 'liste_ess_france') AND insee = 'N'
            THEN ' ; l''INSEE indique N, mais ' || CASE rule
                WHEN 'forme_ess' THEN 'la forme juridique prime : la loi la range dans l''ESS sans autre condition'
                ELSE 'cette source prime : elle repose sur un acte propre à la structure (agrément, conventionnement, inscription), l''indicateur INSEE ne dit que l''absence de mention au répertoire'
            END
        WHEN rule = 'hors_champ' AND len(list_concat(list_ess_sources, CASE WHEN insee = 'O' THEN ['insee_ess'] ELSE [] END)) > 0
            THEN ' ; ' || array_to_string(list_concat(list_ess_sources, CASE WHEN insee = 'O' THEN ['insee_ess'] ELSE [] END), ', ')
                || ' la désigne ESS, mais la forme juridique prime : une personne publique ou physique peut porter une activité d''insertion sans être une entreprise de l''ESS'
        ELSE ''
    END AS reason,
    CASE
        WHEN rule IN ('hors_champ', 'insee_non_ess') THEN non_ess_sources
        WHEN rule = 'inconnu' THEN []::VARCHAR[]
        ELSE ess_sources
    END AS sources,
    CASE
        WHEN rule IN ('hors_champ', 'insee_non_ess') THEN ess_sources
        WHEN rule = 'inconnu' THEN []::VARCHAR[]
        ELSE non_ess_sources
    END AS contradicted_by,
    coalesce(famille, 'inconnue') AS famille,
    categorie_juridique,
    insee AS economie_sociale_solidaire,
    in_sirene
FROM ruled;
