-- Amount checks: every contract amount and every subsidy line amount is classed normal, suspect or
-- aberrant, with its reasons. Amount figures (indicators, ESS flows, SPASER estimate) set aside the
-- aberrant amounts and say how many; suspect ones are counted but flagged. The method is explained
-- in docs/method.md (« Montants anormaux ») and on the web method page, both from these views.
-- Views, not tables: they always match the data, and the web's serving copy materialises them.

-- The thresholds of the method, the single place where they are set.
CREATE OR REPLACE VIEW amount_thresholds AS
SELECT nom, valeur::DOUBLE AS valeur, unite, description FROM (VALUES
    ('remplissage_bas', 1, '€', 'montant inférieur ou égal : montant de remplissage (0 €, 1 €), aberrant'),
    ('remplissage_neufs', 9999999, '€', 'à partir de ce montant, un montant fait uniquement de 9 (9 999 999 €, 99 999 999 €…) est un montant de remplissage, aberrant'),
    ('marche_tres_eleve', 1000000000, '€', 'marché d''au moins ce montant : suspect, quels que soient ses pairs'),
    ('subvention_tres_elevee', 100000000, '€', 'subvention d''au moins ce montant pour un bénéficiaire : suspecte'),
    ('subvention_hors_norme', 1000000000, '€', 'subvention d''au moins ce montant pour un bénéficiaire : aberrante'),
    ('pairs_minimum', 30, 'marchés', 'taille minimale d''un groupe de marchés comparables'),
    ('pairs_suspect', 4, 'écarts absolus médians', 'écart au-dessus de la médiane des marchés comparables (échelle logarithmique) à partir duquel le montant est suspect'),
    ('pairs_aberrant', 6, 'écarts absolus médians', 'même écart, à partir duquel le montant est aberrant'),
    ('habitant_travaux_suspect', 5000, '€ par habitant', 'marché de travaux (CPV 45) rapporté à la population de la collectivité : suspect au-delà'),
    ('habitant_travaux_aberrant', 20000, '€ par habitant', 'marché de travaux rapporté à la population : aberrant au-delà'),
    ('habitant_autres_suspect', 1000, '€ par habitant', 'marché de fournitures ou de services rapporté à la population : suspect au-delà'),
    ('habitant_autres_aberrant', 5000, '€ par habitant', 'marché de fournitures ou de services rapporté à la population : aberrant au-delà'),
    ('habitant_subvention_suspect', 1000, '€ par habitant', 'subvention rapportée à la population de la collectivité qui l''attribue : suspecte au-delà'),
    ('habitant_subvention_aberrant', 5000, '€ par habitant', 'subvention rapportée à la population : aberrante au-delà')
) AS t(nom, valeur, unite, description);

-- One row per contract with a known initial amount (contracts.montant). A contract absent from
-- this view has no amount: its class is unknown, never « normal ».
--   classe    normal | suspect | aberrant (the worst of its reasons)
--   motifs    codes of every reason found: remplissage, tres_eleve, par_habitant_suspect,
--             par_habitant_aberrant, pairs_suspect, pairs_aberrant
--   explication  the reasons in French, with the figures behind them
-- Peers: contracts of the same CPV division, buyer peer group (commune, EPCI, département, région,
-- other buyers) and population band; when that group has fewer than `pairs_minimum` contracts, the
-- same division and peer group; then the division alone. Amounts of supplies and services lasting
-- more than a month and not at a flat price are compared per month (montant / duree_mois); the
-- distance is measured on log10(amount + 1) in median absolute deviations (MAD) of the group.
CREATE OR REPLACE VIEW contract_amount_checks AS
WITH t AS (
    SELECT
        max(valeur) FILTER (WHERE nom = 'remplissage_bas') AS remplissage_bas,
        max(valeur) FILTER (WHERE nom = 'remplissage_neufs') AS remplissage_neufs,
        max(valeur) FILTER (WHERE nom = 'marche_tres_eleve') AS tres_eleve,
        max(valeur) FILTER (WHERE nom = 'pairs_minimum') AS pairs_minimum,
        max(valeur) FILTER (WHERE nom = 'pairs_suspect') AS pairs_suspect,
        max(valeur) FILTER (WHERE nom = 'pairs_aberrant') AS pairs_aberrant,
        max(valeur) FILTER (WHERE nom = 'habitant_travaux_suspect') AS hab_travaux_suspect,
        max(valeur) FILTER (WHERE nom = 'habitant_travaux_aberrant') AS hab_travaux_aberrant,
        max(valeur) FILTER (WHERE nom = 'habitant_autres_suspect') AS hab_autres_suspect,
        max(valeur) FILTER (WHERE nom = 'habitant_autres_aberrant') AS hab_autres_aberrant
    FROM amount_thresholds
),
base AS (
    SELECT
        c.contract_key,
        c.montant,
        coalesce(left(c.cpv, 2), '??') AS division,
        coalesce(r.groupe_pairs, 'autre') AS groupe,
        coalesce(r.tranche_population, '') AS tranche,
        r.population,
        log10(greatest(
            CASE WHEN coalesce(left(c.cpv, 2), '') <> '45' AND c.duree_mois > 1
                      AND coalesce(c.forme_prix, '') <> 'Forfaitaire'
                 THEN c.montant / c.duree_mois ELSE c.montant END, 0) + 1) AS lg
    FROM contracts AS c
    LEFT JOIN ref_collectivites AS r ON r.siren = c.acheteur_siren
    WHERE c.montant IS NOT NULL
),
g3 AS (SELECT division, groupe, tranche, count(*) AS n, median(lg) AS med FROM base GROUP BY ALL),
g2 AS (SELECT division, groupe, count(*) AS n, median(lg) AS med FROM base GROUP BY ALL),
g1 AS (SELECT division, count(*) AS n, median(lg) AS med FROM base GROUP BY ALL),
-- The MAD of each group: the median of its members' absolute distances to its median.
m3 AS (SELECT division, groupe, tranche, median(abs(b.lg - g.med)) AS mad
       FROM base AS b JOIN g3 AS g USING (division, groupe, tranche) GROUP BY ALL),
m2 AS (SELECT division, groupe, median(abs(b.lg - g.med)) AS mad
       FROM base AS b JOIN g2 AS g USING (division, groupe) GROUP BY ALL),
m1 AS (SELECT division, median(abs(b.lg - g.med)) AS mad
       FROM base AS b JOIN g1 AS g USING (division) GROUP BY ALL),
leveled AS (
    SELECT b.*,
        CASE WHEN g3.n >= t.pairs_minimum THEN 3 WHEN g2.n >= t.pairs_minimum THEN 2
             WHEN g1.n >= t.pairs_minimum THEN 1 END AS niveau,
        CASE WHEN g3.n >= t.pairs_minimum THEN g3.n WHEN g2.n >= t.pairs_minimum THEN g2.n
             WHEN g1.n >= t.pairs_minimum THEN g1.n END AS pairs,
        CASE WHEN g3.n >= t.pairs_minimum THEN g3.med WHEN g2.n >= t.pairs_minimum THEN g2.med
             WHEN g1.n >= t.pairs_minimum THEN g1.med END AS med,
        CASE WHEN g3.n >= t.pairs_minimum THEN m3.mad WHEN g2.n >= t.pairs_minimum THEN m2.mad
             WHEN g1.n >= t.pairs_minimum THEN m1.mad END AS mad
    FROM base AS b
    CROSS JOIN t
    JOIN g3 USING (division, groupe, tranche)
    JOIN m3 USING (division, groupe, tranche)
    JOIN g2 USING (division, groupe)
    JOIN m2 USING (division, groupe)
    JOIN g1 USING (division)
    JOIN m1 USING (division)
),
measured AS (
    SELECT l.*, t.*,
        CASE WHEN l.mad > 0 THEN (l.lg - l.med) / l.mad END AS ecart_pairs,
        CASE WHEN l.population > 0 THEN l.montant / l.population END AS montant_par_habitant,
        l.division = '45' AS travaux
    FROM leveled AS l
    CROSS JOIN t
),
flagged AS (
    SELECT *,
        montant <= remplissage_bas
            OR (montant >= remplissage_neufs AND regexp_full_match(CAST(CAST(floor(montant) AS HUGEINT) AS VARCHAR), '9+'))
            AS remplissage,
        montant >= tres_eleve AS tres_eleve_,
        CASE WHEN montant_par_habitant > CASE WHEN travaux THEN hab_travaux_aberrant ELSE hab_autres_aberrant END THEN 'aberrant'
             WHEN montant_par_habitant > CASE WHEN travaux THEN hab_travaux_suspect ELSE hab_autres_suspect END THEN 'suspect'
        END AS par_habitant,
        CASE WHEN ecart_pairs > pairs_aberrant THEN 'aberrant' WHEN ecart_pairs > pairs_suspect THEN 'suspect' END AS vs_pairs
    FROM measured
)
SELECT
    contract_key,
    montant,
    CASE WHEN remplissage OR par_habitant = 'aberrant' OR vs_pairs = 'aberrant' THEN 'aberrant'
         WHEN tres_eleve_ OR par_habitant = 'suspect' OR vs_pairs = 'suspect' THEN 'suspect'
         ELSE 'normal' END AS classe,
    list_concat(
        CASE WHEN remplissage THEN ['remplissage'] ELSE [] END,
        CASE WHEN tres_eleve_ THEN ['tres_eleve'] ELSE [] END,
        CASE WHEN par_habitant IS NOT NULL THEN ['par_habitant_' || par_habitant] ELSE [] END,
        CASE WHEN vs_pairs IS NOT NULL THEN ['pairs_' || vs_pairs] ELSE [] END
    )::VARCHAR[] AS motifs,
    nullif(concat_ws(' ; ',
        CASE WHEN remplissage THEN CASE WHEN montant <= 0 THEN 'montant nul ou négatif'
             ELSE 'montant de remplissage (' || format('{:,.2f}', montant).replace(',', ' ').replace('.', ',').replace(',00', '')
                  || ' €) : ce n''est pas un vrai montant' END END,
        CASE WHEN tres_eleve_ THEN 'montant d''au moins ' || format('{:,.0f}', tres_eleve).replace(',', ' ') || ' €' END,
        CASE WHEN par_habitant IS NOT NULL THEN format('{:,.0f}', montant_par_habitant).replace(',', ' ')
             || ' € par habitant de la collectivité (' || par_habitant || ' au-delà de '
             || format('{:,.0f}', CASE WHEN par_habitant = 'aberrant'
                    THEN CASE WHEN travaux THEN hab_travaux_aberrant ELSE hab_autres_aberrant END
                    ELSE CASE WHEN travaux THEN hab_travaux_suspect ELSE hab_autres_suspect END END).replace(',', ' ')
             || ' € pour ' || CASE WHEN travaux THEN 'des travaux' ELSE 'des fournitures ou services' END || ')' END,
        CASE WHEN vs_pairs IS NOT NULL THEN replace(format('{:.1f}', ecart_pairs), '.', ',')
             || ' écarts médians au-dessus des ' || pairs || ' marchés comparables (' || vs_pairs || ' au-delà de '
             || format('{:.0f}', CASE WHEN vs_pairs = 'aberrant' THEN pairs_aberrant ELSE pairs_suspect END) || ')' END
    ), '') AS explication,
    ecart_pairs,
    montant_par_habitant,
    niveau AS niveau_pairs,
    pairs AS pairs_nombre
FROM flagged;

-- One row per subsidy attribution line with a known amount for its beneficiary
-- (subsidies.montant_beneficiaire); same classes. Subsidies have no CPV code and vary too much
-- between grantors for a peer comparison: placeholders, absolute sizes and the amount per
-- inhabitant of the grantor decide.
CREATE OR REPLACE VIEW subsidy_amount_checks AS
WITH t AS (
    SELECT
        max(valeur) FILTER (WHERE nom = 'remplissage_bas') AS remplissage_bas,
        max(valeur) FILTER (WHERE nom = 'remplissage_neufs') AS remplissage_neufs,
        max(valeur) FILTER (WHERE nom = 'subvention_tres_elevee') AS tres_elevee,
        max(valeur) FILTER (WHERE nom = 'subvention_hors_norme') AS hors_norme,
        max(valeur) FILTER (WHERE nom = 'habitant_subvention_suspect') AS hab_suspect,
        max(valeur) FILTER (WHERE nom = 'habitant_subvention_aberrant') AS hab_aberrant
    FROM amount_thresholds
),
measured AS (
    SELECT s.subsidy_key, s.montant_beneficiaire AS montant, t.*,
        CASE WHEN r.population > 0 THEN s.montant_beneficiaire / r.population END AS montant_par_habitant
    FROM subsidies AS s
    CROSS JOIN t
    LEFT JOIN ref_collectivites AS r ON r.siren = s.attribuant_siren
    WHERE s.montant_beneficiaire IS NOT NULL
),
flagged AS (
    SELECT *,
        montant <= remplissage_bas
            OR (montant >= remplissage_neufs AND regexp_full_match(CAST(CAST(floor(montant) AS HUGEINT) AS VARCHAR), '9+'))
            AS remplissage,
        CASE WHEN montant >= hors_norme THEN 'aberrant' WHEN montant >= tres_elevee THEN 'suspect' END AS taille,
        CASE WHEN montant_par_habitant > hab_aberrant THEN 'aberrant'
             WHEN montant_par_habitant > hab_suspect THEN 'suspect' END AS par_habitant
    FROM measured
)
SELECT
    subsidy_key,
    montant,
    CASE WHEN remplissage OR taille = 'aberrant' OR par_habitant = 'aberrant' THEN 'aberrant'
         WHEN taille = 'suspect' OR par_habitant = 'suspect' THEN 'suspect'
         ELSE 'normal' END AS classe,
    list_concat(
        CASE WHEN remplissage THEN ['remplissage'] ELSE [] END,
        CASE WHEN taille IS NOT NULL THEN ['taille_' || taille] ELSE [] END,
        CASE WHEN par_habitant IS NOT NULL THEN ['par_habitant_' || par_habitant] ELSE [] END
    )::VARCHAR[] AS motifs,
    nullif(concat_ws(' ; ',
        CASE WHEN remplissage THEN CASE WHEN montant <= 0 THEN 'montant nul ou négatif'
             ELSE 'montant de remplissage (' || format('{:,.2f}', montant).replace(',', ' ').replace('.', ',').replace(',00', '')
                  || ' €) : ce n''est pas un vrai montant' END END,
        CASE WHEN taille IS NOT NULL THEN 'subvention d''au moins '
             || format('{:,.0f}', CASE WHEN taille = 'aberrant' THEN hors_norme ELSE tres_elevee END).replace(',', ' ')
             || ' € pour un seul bénéficiaire' END,
        CASE WHEN par_habitant IS NOT NULL THEN format('{:,.0f}', montant_par_habitant).replace(',', ' ')
             || ' € par habitant de la collectivité qui attribue (' || par_habitant || ' au-delà de '
             || format('{:,.0f}', CASE WHEN par_habitant = 'aberrant' THEN hab_aberrant ELSE hab_suspect END).replace(',', ' ')
             || ' €)' END
    ), '') AS explication,
    montant_par_habitant
FROM flagged;
