"""CPV codes the generator draws from, with a typical object phrase, a CCAG and a weight.

The codes are real CPV 2008 codes (Regulation (EC) No 213/2008); the object phrases are
written for the generator (they are not the official CPV labels). Weights give about 40 %
works, 40 % services and 20 % supplies by number of contracts: an assumption, no official
split by number is stored in the reference notes.
"""

from __future__ import annotations

from dataclasses import dataclass

TRAVAUX = "Travaux"
FOURNITURES = "Fournitures"
SERVICES = "Services"

CCAG_TRAVAUX = "Travaux"
CCAG_MOE = "Maitrise d'œuvre"
CCAG_FCS = "Fournitures courantes et services"
CCAG_PI = "Prestations intellectuelles"
CCAG_TIC = "Techniques de l'information et de la communication"
CCAG_MI = "Marchés industriels"


@dataclass(frozen=True)
class CpvEntry:
    code: str
    objet: str
    ccag: str
    weight: float

    @property
    def type(self) -> str:
        """Fournitures / Services / Travaux, as decp-processing derives it from the CPV division."""
        division = int(self.code[:2])
        if division == 45:
            return TRAVAUX
        if division < 45 or division == 48:
            return FOURNITURES
        return SERVICES

    @property
    def origin_applies(self) -> bool:
        """origineUE / origineFrance concern food, clothing, health products and vehicles."""
        return self.code[:2] in ("03", "15", "18", "33", "34")


CPV_TABLE: tuple[CpvEntry, ...] = (
    # Works (≈ 40 %)
    CpvEntry("45000000", "Travaux de construction", CCAG_TRAVAUX, 2.0),
    CpvEntry("45210000", "Construction d'un bâtiment public", CCAG_TRAVAUX, 3.0),
    CpvEntry("45214200", "Construction et extension d'un groupe scolaire", CCAG_TRAVAUX, 2.0),
    CpvEntry("45212200", "Construction d'un équipement sportif", CCAG_TRAVAUX, 1.0),
    CpvEntry("45233140", "Travaux de voirie", CCAG_TRAVAUX, 4.0),
    CpvEntry("45233141", "Entretien et réfection des chaussées", CCAG_TRAVAUX, 3.0),
    CpvEntry("45232410", "Travaux d'assainissement", CCAG_TRAVAUX, 2.0),
    CpvEntry("45231300", "Renouvellement de réseaux d'eau potable et d'eaux usées", CCAG_TRAVAUX, 2.0),
    CpvEntry("45261000", "Charpente et couverture", CCAG_TRAVAUX, 2.0),
    CpvEntry("45310000", "Travaux d'électricité", CCAG_TRAVAUX, 2.5),
    CpvEntry("45330000", "Travaux de plomberie", CCAG_TRAVAUX, 1.5),
    CpvEntry("45331000", "Chauffage, ventilation et climatisation", CCAG_TRAVAUX, 2.0),
    CpvEntry("45421000", "Menuiseries intérieures et extérieures", CCAG_TRAVAUX, 2.0),
    CpvEntry("45442100", "Travaux de peinture", CCAG_TRAVAUX, 1.5),
    CpvEntry("45453000", "Réhabilitation et rénovation énergétique", CCAG_TRAVAUX, 3.0),
    CpvEntry("45111000", "Démolition et préparation de site", CCAG_TRAVAUX, 1.0),
    CpvEntry("45112710", "Aménagement paysager d'espaces verts", CCAG_TRAVAUX, 1.5),
    CpvEntry("45262700", "Transformation et mise en accessibilité de bâtiments", CCAG_TRAVAUX, 2.5),
    # Supplies (≈ 20 %)
    CpvEntry("09310000", "Fourniture d'électricité", CCAG_FCS, 1.0),
    CpvEntry("09100000", "Fourniture de combustibles", CCAG_FCS, 1.0),
    CpvEntry("15000000", "Denrées alimentaires pour la restauration collective", CCAG_FCS, 2.5),
    CpvEntry("03221000", "Fruits et légumes frais", CCAG_FCS, 1.0),
    CpvEntry("15500000", "Produits laitiers", CCAG_FCS, 0.8),
    CpvEntry("30192000", "Fournitures de bureau", CCAG_FCS, 1.0),
    CpvEntry("30213000", "Ordinateurs et équipements informatiques", CCAG_TIC, 1.2),
    CpvEntry("34110000", "Véhicules de service", CCAG_FCS, 1.0),
    CpvEntry("34144900", "Véhicules électriques", CCAG_FCS, 0.6),
    CpvEntry("34130000", "Véhicules utilitaires", CCAG_FCS, 0.8),
    CpvEntry("33600000", "Produits pharmaceutiques", CCAG_FCS, 1.5),
    CpvEntry("33140000", "Consommables médicaux", CCAG_FCS, 1.2),
    CpvEntry("39160000", "Mobilier scolaire", CCAG_FCS, 0.8),
    CpvEntry("39130000", "Mobilier de bureau", CCAG_FCS, 0.6),
    CpvEntry("22110000", "Livres pour les bibliothèques", CCAG_FCS, 0.6),
    CpvEntry("18100000", "Vêtements de travail et équipements de protection", CCAG_FCS, 0.8),
    CpvEntry("39830000", "Produits d'entretien", CCAG_FCS, 0.8),
    CpvEntry("44111000", "Matériaux de construction", CCAG_FCS, 1.0),
    CpvEntry("48000000", "Logiciels et licences", CCAG_TIC, 1.2),
    # Services (≈ 40 %)
    CpvEntry("72000000", "Prestations informatiques et maintenance applicative", CCAG_TIC, 2.0),
    CpvEntry("71000000", "Mission de maîtrise d'œuvre", CCAG_MOE, 2.5),
    CpvEntry("71221000", "Maîtrise d'œuvre pour la construction de bâtiments", CCAG_MOE, 2.0),
    CpvEntry("71520000", "Coordination et surveillance de chantier", CCAG_MOE, 1.0),
    CpvEntry("71300000", "Études et ingénierie", CCAG_PI, 1.5),
    CpvEntry("79400000", "Assistance à maîtrise d'ouvrage et conseil", CCAG_PI, 1.5),
    CpvEntry("79710000", "Gardiennage et sécurité", CCAG_FCS, 1.2),
    CpvEntry("90910000", "Nettoyage des locaux", CCAG_FCS, 2.0),
    CpvEntry("90500000", "Collecte et traitement des déchets", CCAG_FCS, 1.5),
    CpvEntry("90511000", "Collecte des ordures ménagères", CCAG_FCS, 1.0),
    CpvEntry("55523100", "Restauration scolaire", CCAG_FCS, 1.5),
    CpvEntry("55520000", "Portage de repas et traiteur", CCAG_FCS, 0.8),
    CpvEntry("77310000", "Entretien des espaces verts", CCAG_FCS, 1.5),
    CpvEntry("50700000", "Maintenance des installations techniques des bâtiments", CCAG_FCS, 2.0),
    CpvEntry("50110000", "Entretien et réparation de véhicules", CCAG_FCS, 0.8),
    CpvEntry("60130000", "Transport scolaire", CCAG_FCS, 1.5),
    CpvEntry("60112000", "Transport public de voyageurs", CCAG_FCS, 0.6),
    CpvEntry("64200000", "Services de télécommunications", CCAG_TIC, 1.0),
    CpvEntry("66510000", "Assurances", CCAG_FCS, 1.0),
    CpvEntry("79340000", "Communication et publicité", CCAG_PI, 0.8),
    CpvEntry("79800000", "Impression et reprographie", CCAG_FCS, 0.8),
    CpvEntry("80500000", "Formation professionnelle", CCAG_PI, 1.0),
    CpvEntry("85310000", "Accompagnement social et insertion", CCAG_FCS, 0.8),
    CpvEntry("92000000", "Animation culturelle et sportive", CCAG_FCS, 0.8),
    CpvEntry("79952000", "Organisation d'événements", CCAG_FCS, 0.6),
)
