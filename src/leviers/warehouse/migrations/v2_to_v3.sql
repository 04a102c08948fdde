-- fr: ajoute le contrôle des montants (normal, suspect, aberrant) et les vues de l'argent vers l'ESS (familles, statuts des bénéficiaires, lignes de subventions et de titulaires)
-- No table changes: the views of 60_amounts.sql and 70_ess_money.sql are created by the schema
-- files, which the migration applies after its steps. The version changes because a warehouse of
-- v2 opened read-only (serve, flux-ess) would lack them.
SELECT 1;
