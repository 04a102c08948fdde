"""What the money-to-the-ESS figures cannot say (French: shown with every result). Their
definitions are the indicator catalogue's (leviers/indicators/catalogue.yaml)."""

from __future__ import annotations

CAVEATS: list[str] = [
    "Couverture des données ouvertes : les DECP ne recensent que les marchés de 40 000 € HT et plus ; "
    "les conventions de subvention ne sont publiées qu'au-delà de 23 000 € par an et par bénéficiaire, "
    "par les collectivités de 3 500 habitants et plus, et beaucoup ne publient pas.",
    "Inconnu n'est pas zéro : une collectivité sans fichier de subventions chargé pour l'année a des "
    "montants de subventions vides, pas nuls ; le statut inconnu d'un bénéficiaire ou d'un titulaire "
    "(SIREN absent des sources chargées, identifiant étranger, forme non concluante sans indicateur INSEE) "
    "est compté à part, et les parts sont calculées parmi les statuts connus.",
    "Montants notifiés ou attribués, pas payés : avenants, reconductions et paiements réels ne sont pas suivis ici.",
    "Montants aberrants (montants de remplissage comme 999 999 999 €, hors de proportion avec la collectivité "
    "ou avec les marchés comparables) : écartés des sommes et comptés à part ; la méthode est dans la page Méthode.",
    "Le statut ESS suit les règles documentées : forme juridique, agrément ESUS, listes SIAE/EA/ESAT, "
    "liste ESS France, indicateur INSEE ; les concessions (DSP) ne sont pas comptées dans les marchés.",
]
