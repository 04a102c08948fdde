"""Buyer → collectivité, with values checked by hand in the raw npm JSON and the real DECP extract."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from leviers.reference import resolve_buyer
from leviers.reference.resolve import InvalidIdentifier


def test_bordeaux_commune_from_its_siret() -> None:
    # communes.json of @etalab/decoupage-administratif 6.0.0: code 33063, siren 213300635,
    # population 267991, departement 33, region 75; epci.json: member of 243300316.
    buyer = resolve_buyer("21330063500017")
    assert buyer.siren == "213300635"
    c = buyer.collectivite
    assert c is not None
    assert (c.type, c.nom, c.code, c.population) == ("commune", "Bordeaux", "33063", 267991)
    assert (c.departement_code, c.region_code, c.epci_siren) == ("33", "75", "243300316")
    assert c.tranche_population == "commune_100000_plus"
    assert buyer.as_dict()["type_libelle"] == "commune"


def test_bordeaux_metropole_epci() -> None:
    # epci.json: code 243300316, type METRO, populationMunicipale 843738, populationTotale 854949.
    c = resolve_buyer("243300316").collectivite
    assert c is not None
    assert (c.type, c.nature, c.nom, c.population) == ("epci", "METRO", "Bordeaux Métropole", 843738)
    assert c.nature_libelle == "métropole"
    assert c.tranche_population == "epci_250000_plus"


def test_small_commune_band() -> None:
    # communes.json: 01001 L'Abergement-Clémenciat, siren 210100012, population 860.
    c = resolve_buyer("210100012").collectivite
    assert c is not None
    assert (c.nom, c.population, c.tranche_population) == ("L'Abergement-Clémenciat", 860, "commune_0_999")
    assert c.tranche_libelle == "moins de 1\u00a0000 habitants"


def test_departement_and_region_sirens() -> None:
    gironde = resolve_buyer("22330001300016").collectivite
    assert gironde is not None
    assert (gironde.type, gironde.nom, gironde.code) == ("departement", "Département de la Gironde", "33")
    region = resolve_buyer("200053759").collectivite
    assert region is not None
    assert (region.type, region.nom, region.region_code) == ("region", "Région Nouvelle-Aquitaine", "75")
    assert len(region.departements) == 12


def test_collectivites_a_statut_particulier() -> None:
    expected = {
        "217500016": ("VILLE_DE_PARIS", "Ville de Paris", ("commune", "departement")),
        "200046977": ("MET69", "Métropole de Lyon", ("epci", "departement")),
        "200076958": ("CORSE", "Collectivité de Corse", ("departement", "region")),
        "200055507": ("CTU", "Collectivité territoriale de Martinique", ("departement", "region")),
        "200052678": ("CTU", "Collectivité territoriale de Guyane", ("departement", "region")),
        "229850003": ("MAYOTTE", "Département de Mayotte", ("departement", "region")),
        "200094332": ("CEA", "Collectivité européenne d'Alsace", ("departement",)),
    }
    for siren, (nature, nom, competences) in expected.items():
        c = resolve_buyer(siren).collectivite
        assert c is not None, siren
        assert (c.type, c.nature, c.nom, c.competences) == ("statut_particulier", nature, nom, competences)
    # Paris: population of the commune in communes.json (75056).
    paris = resolve_buyer("217500016").collectivite
    assert paris is not None
    assert paris.population == 2103778


def test_other_public_buyer() -> None:
    # France Travail (an État operator) is a public buyer but not a collectivité.
    buyer = resolve_buyer("130005481")
    assert not buyer.is_collectivite
    assert buyer.type == "autre"
    assert buyer.type_libelle == "autre acheteur public"
    assert buyer.as_dict()["nom"] is None


@pytest.mark.parametrize("bad", ["", "12345", "2133006350001X", "213 300 635 000 17 9"])
def test_invalid_identifier_is_a_french_error(bad: str) -> None:
    with pytest.raises(InvalidIdentifier, match="ni un SIREN"):
        resolve_buyer(bad)


def test_real_decp_buyers_resolve_to_the_right_level(real_data: Path) -> None:
    # The real consolidated extract carries each buyer's SIRENE name: every « COMMUNE DE … »
    # must resolve to a commune (or Ville de Paris), every « DEPARTEMENT DE … » to a
    # département or a collectivité exercising départemental competences.
    path = real_data / "decp" / "consolide-tabulaire" / "decp_2024S2_travaux_cpv4521.csv"
    names: dict[str, str] = {}
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            names.setdefault(row["acheteur_id"], row["acheteur_nom"])
    communes = {s: n for s, n in names.items() if n.startswith("COMMUNE D")}
    departements = {s: n for s, n in names.items() if n.startswith("DEPARTEMENT D")}
    assert len(communes) > 500
    assert len(departements) > 30
    for siret, nom in communes.items():
        assert resolve_buyer(siret).type == "commune", (siret, nom)
    for siret, nom in departements.items():
        c = resolve_buyer(siret).collectivite
        assert c is not None, (siret, nom)
        assert "departement" in c.competences, (siret, nom)
    gironde = next(s for s, n in names.items() if n == "DEPARTEMENT DE LA GIRONDE")
    assert resolve_buyer(gironde).collectivite.code == "33"  # type: ignore[union-attr]
