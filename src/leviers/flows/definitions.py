"""What each figure of the ESS flows means, and what it cannot say (French: shown to users)."""

from __future__ import annotations

DEFINITIONS: dict[str, str] = {
    "subventions_montant": (
        "Somme des montants attribués aux bénéficiaires (montant × pourcentage de la subvention, SCDL) "
        "des conventions de l'année, pour la collectivité qui attribue. Les lignes au montant par "
        "bénéficiaire inconnu sont comptées à part."
    ),
    "subventions_ess_montant": (
        "Part de ce montant versée à des bénéficiaires dont le statut est ESS (vue ess_status), ou à "
        "des associations identifiées par leur seul numéro RNA (association déclarée, loi de 1901 : ESS de droit)."
    ),
    "subventions_part_ess": (
        "Montant aux bénéficiaires ESS ÷ montant total. C'est un minimum : le montant au statut inconnu "
        "peut aussi aller à l'ESS ; la vraie part est entre part_ess et part_ess + part_inconnue."
    ),
    "subventions_par_famille": (
        "Montant et nombre de lignes par famille juridique du bénéficiaire (catégorie juridique SIRENE : "
        "association, fondation, mutuelle, SCOP, autre coopérative, société commerciale…)."
    ),
    "marches_nombre": "Nombre de marchés initiaux notifiés dans l'année par l'acheteur (DECP).",
    "marches_montant": (
        "Somme des montants initiaux notifiés (€ HT) : prix forfaitaire ou maximum estimé pour les "
        "accords-cadres, ce qui n'est pas la dépense réelle."
    ),
    "marches_ess_nombre": "Marchés dont au moins un titulaire initial a le statut ESS.",
    "marches_ess_montant": (
        "Montant des marchés attribué aux titulaires ESS : un marché à plusieurs titulaires (groupement, "
        "multi-attributaire) est partagé à parts égales entre ses titulaires initiaux."
    ),
    "marches_part_ess": (
        "Montant aux titulaires ESS ÷ montant total (minimum, comme pour les subventions) ; "
        "marches_part_ess_nombre : marchés avec un titulaire ESS ÷ nombre de marchés."
    ),
    "argent_ess_montant": (
        "Argent vers l'ESS = subventions aux bénéficiaires ESS + montants des marchés attribués aux "
        "titulaires ESS, sur les canaux dont des données sont chargées (champ canaux)."
    ),
}

CAVEATS: list[str] = [
    "Couverture des données ouvertes : les DECP ne recensent que les marchés de 40 000 € HT et plus ; "
    "les conventions de subvention ne sont publiées qu'au-delà de 23 000 € par an et par bénéficiaire, "
    "par les collectivités de 3 500 habitants et plus, et beaucoup ne publient pas.",
    "Inconnu n'est pas zéro : une collectivité sans fichier de subventions chargé pour l'année a des "
    "montants de subventions vides, pas nuls ; le statut inconnu d'un bénéficiaire ou d'un titulaire "
    "(SIREN absent du stock SIRENE chargé, identifiant étranger, forme non concluante sans indicateur INSEE) "
    "est compté à part.",
    "Montants notifiés ou attribués, pas payés : avenants, reconductions et paiements réels ne sont pas suivis ici.",
    "Le statut ESS suit les règles documentées (docs/ess.md) : forme juridique, agrément ESUS, listes SIAE/EA/ESAT, "
    "liste ESS France, indicateur INSEE ; les concessions (DSP) ne sont pas comptées dans les marchés.",
]
