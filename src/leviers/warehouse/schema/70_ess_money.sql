-- Who receives public money, and in which family of the ESS: the single definition used by the
-- indicators (subsidies_ess, through the fact tables) and by the breakdowns of the money to the
-- ESS (families, main beneficiaries and suppliers). Rules of the status itself: ess_status
-- (40_sirene.sql, docs/ess.md).

-- The ESS family of every SIREN with a status: the insertion and sheltered-work structures first
-- (the lists say more than their legal form), then the legal forms of the ESS, then the ESUS
-- approval, then the other ESS enterprises (commercial companies with the ESS quality).
CREATE OR REPLACE VIEW ess_families AS
SELECT
    siren,
    status,
    rule,
    famille,
    CASE
        WHEN status = 'non ESS' THEN 'hors_ess'
        WHEN status <> 'ESS' THEN 'inconnue'
        WHEN list_contains(sources, 'siae') THEN 'siae'
        WHEN famille = 'association' THEN 'association'
        WHEN famille = 'fondation' THEN 'fondation'
        WHEN famille = 'mutuelle' THEN 'mutuelle'
        WHEN famille IN ('scop', 'cooperative') THEN 'cooperative'
        WHEN list_contains(sources, 'esus') THEN 'esus'
        ELSE 'autre_ess'
    END AS famille_ess
FROM ess_status;

-- Labels of the ESS families, in display order.
CREATE OR REPLACE VIEW ess_family_labels AS
SELECT * FROM (VALUES
    ('association', 'Associations', 1),
    ('cooperative', 'Coopératives (SCOP, SCIC…)', 2),
    ('mutuelle', 'Mutuelles', 3),
    ('fondation', 'Fondations', 4),
    ('siae', 'Insertion et handicap (SIAE, EA, ESAT)', 5),
    ('esus', 'Entreprises agréées ESUS', 6),
    ('autre_ess', 'Autres entreprises de l''ESS', 7),
    ('hors_ess', 'Hors ESS', 8),
    ('association_declaree', 'Associations déclarées par l''attribuant (statut non vérifié)', 9),
    ('inconnue', 'Statut inconnu', 10)
) AS t(famille_ess, libelle, rang);

-- One row per subsidy attribution line: who the beneficiary is and its ESS status and family.
-- The beneficiary is found by its SIREN, else by its RNA number through SIRENE
-- (legal_units.identifiant_association); an association known only by its RNA number is a
-- declared association, ESS by law (loi n° 2014-856, art. 1er, II, 1°). A line of a file whose
-- publisher declares every beneficiary an association (subsidy_declarations) and that nothing
-- above decides stays of unknown status (such a file cannot list anyone outside the ESS: its
-- share would be 100 % by construction) in the family « association_declaree », shown apart.
CREATE OR REPLACE VIEW subsidy_beneficiary_status AS
WITH rna AS (
    SELECT identifiant_association AS rna, min(siren) AS siren
    FROM legal_units WHERE identifiant_association IS NOT NULL GROUP BY 1
),
declared AS (
    SELECT DISTINCT src.subsidy_key, d.famille_ess
    FROM subsidy_sources AS src JOIN subsidy_declarations AS d USING (ingestion_id)
),
found AS (
    SELECT
        s.subsidy_key,
        coalesce(s.beneficiaire_siren, r.siren) AS siren,
        s.rna_beneficiaire AS rna,
        f.status, f.famille_ess, f.rule,
        coalesce(s.beneficiaire_siren, r.siren) IS NULL AND s.rna_beneficiaire IS NOT NULL AS rna_only,
        d.famille_ess AS declared
    FROM subsidies AS s
    LEFT JOIN rna AS r ON s.beneficiaire_siren IS NULL AND r.rna = s.rna_beneficiaire
    LEFT JOIN ess_families AS f ON f.siren = coalesce(s.beneficiaire_siren, r.siren)
    LEFT JOIN declared AS d USING (subsidy_key)
)
SELECT
    subsidy_key,
    siren,
    rna,
    CASE
        WHEN status IN ('ESS', 'non ESS') THEN status
        WHEN rna_only THEN 'ESS'
        ELSE 'inconnu'
    END AS status,
    CASE
        WHEN status IN ('ESS', 'non ESS') THEN famille_ess
        WHEN rna_only THEN 'association'
        WHEN declared IS NOT NULL THEN declared
        ELSE 'inconnue'
    END AS famille_ess,
    CASE
        WHEN status IN ('ESS', 'non ESS') THEN rule
        WHEN rna_only THEN 'rna'
        WHEN declared IS NOT NULL THEN 'declaration_attribuant'
        ELSE coalesce(rule, 'inconnu')
    END AS rule
FROM found;

-- Every subsidy attribution line with its beneficiary's status and family and its amount check:
-- what the breakdowns, the subsidies explorer and its exports read (the web's serving copy keeps
-- it as a table sorted by grantor). montant_retenu is the amount counted in figures: NULL when
-- unknown or set aside as aberrant.
CREATE OR REPLACE VIEW subsidy_lines AS
SELECT
    s.subsidy_key,
    s.attribuant_siren,
    s.id_attribuant,
    s.nom_attribuant,
    s.annee,
    s.date_convention,
    s.reference_decision,
    s.nom_beneficiaire,
    s.id_beneficiaire,
    b.siren AS beneficiaire_siren,
    s.rna_beneficiaire,
    s.objet,
    s.nature,
    s.montant,
    s.pourcentage_subvention,
    s.montant_beneficiaire,
    CASE WHEN coalesce(k.classe, '') <> 'aberrant' THEN s.montant_beneficiaire END AS montant_retenu,
    k.classe AS montant_classe,
    k.explication AS montant_explication,
    b.status AS statut_ess,
    b.famille_ess,
    b.rule AS regle_ess,
    s.dispositif_aide,
    s.schema_version,
    s.synthetic,
    s.first_ingestion_id
FROM subsidies AS s
JOIN subsidy_beneficiary_status AS b USING (subsidy_key)
LEFT JOIN subsidy_amount_checks AS k USING (subsidy_key);

-- Every initial supplier of every contract with its share of the contract (1/n of n initial
-- suppliers, the « titulaire » counting rule of the indicators), its status and family, and the
-- contract's amount counted in figures (NULL when unknown or set aside as aberrant). A contract
-- published without any supplier is one row of unknown status, so that the rows add up to the
-- contracts.
CREATE OR REPLACE VIEW contract_supplier_lines AS
WITH initial AS (
    SELECT contract_key, titulaire_id, titulaire_siren, titulaire_nom, titulaire_type_identifiant,
           count(*) OVER (PARTITION BY contract_key) AS n
    FROM contract_suppliers
    WHERE modification_id = 0
)
SELECT
    c.contract_key,
    c.acheteur_siren,
    year(c.date_notification)::INTEGER AS annee,
    i.titulaire_id,
    i.titulaire_siren,
    i.titulaire_nom,
    i.titulaire_type_identifiant,
    coalesce(1.0 / i.n, 1.0) AS part,
    CASE WHEN coalesce(k.classe, '') <> 'aberrant' THEN c.montant END AS montant_retenu,
    k.classe AS montant_classe,
    coalesce(f.status, 'inconnu') AS statut_ess,
    coalesce(f.famille_ess, 'inconnue') AS famille_ess,
    c.synthetic
FROM contracts AS c
LEFT JOIN initial AS i USING (contract_key)
LEFT JOIN contract_amount_checks AS k USING (contract_key)
LEFT JOIN ess_families AS f ON f.siren = i.titulaire_siren;
