"""What people type, and what they must find first: the search over the shipped collectivités
reference (every commune, EPCI, département, région and collectivité à statut particulier, loaded in
the warehouse) and the real buyers of the DECP samples, through the JSON twin of /recherche.

Each case names the SIREN expected and where (first, or among the first n), or what all results must
be. SIRENs are those of the shipped reference (src/leviers/data/reference/collectivites.csv.gz).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

BORDEAUX = "213300635"
BORDEAUX_METROPOLE = "243300316"
GIRONDE = "223300013"
NOUVELLE_AQUITAINE = "200053759"
NORMANDIE = "200053403"
ILE_DE_FRANCE = "237500079"
OCCITANIE = "200053791"
CC_MELLOIS = "200069755"
CA_NIORTAIS = "200041317"
NIORT = "217901917"
CU_ARRAS = "200033579"
CU_GRAND_REIMS = "200067213"
EPT_PARIS_OUEST = "200057982"
EPT_PLAINE_COMMUNE = "200057867"
EUROMETROPOLE_STRASBOURG = "246700488"
STRASBOURG = "216704825"
LYON = "216901231"
METROPOLE_LYON = "200046977"
TOULOUSE = "213105554"
TOULOUSE_METROPOLE = "243100518"
MARSEILLE = "211300553"
MONTPELLIER = "213401722"
VILLE_DE_PARIS = "217500016"
CORSE = "200076958"
ALSACE = "200094332"
MARTINIQUE = "200055507"
GUYANE = "200052678"
MAYOTTE = "229850003"
SAINT_MARTIN_COM = "219711272"
NORD = "225900018"
AUBE = "221000052"
VIENNE_DEPARTEMENT = "228600011"
VIENNE_COMMUNE = "213805443"
REUNION = "229740014"
SEINE_SAINT_DENIS = "229300082"
SAINT_DENIS_974 = "219740115"
SAINT_DENIS_93 = "929939411"
SAINT_DENIS_11 = "211103395"
SAINT_DENIS_30 = "213002470"
SAINT_ETIENNE = "214202186"
AJACCIO = "212000046"
BASTIA = "212000335"
BOURG_EN_BRESSE = "210100533"
MELLE = "200081511"
LA_ROCHELLE = "211703004"
L_HAY_LES_ROSES = "219400389"
# Buyers of the real DECP extracts that are not collectivités.
CH_NIORT = "267900017"
GIRONDE_HABITAT = "404877086"


@dataclass(frozen=True)
class Case:
    query: str
    first: str | None = None  # the SIREN that must come first
    among: tuple[str, ...] = ()  # SIRENs that must all be within the first `within` results
    within: int = 3
    only: tuple[str, ...] | None = None  # exactly these results, in this order
    every: Callable[[dict[str, Any]], bool] | None = None  # what every result must be
    why: str = ""

    def __str__(self) -> str:
        return self.query


CASES = [
    # Départements: official, usual and council names, the bare name, the code.
    Case("Gironde", first=GIRONDE, why="the département before communes named after it"),
    Case("GIRONDE", first=GIRONDE),
    Case("Département de la Gironde", first=GIRONDE),
    Case("Conseil départemental de la Gironde", first=GIRONDE),
    Case("conseil departemental gironde", first=GIRONDE, why="no accents, no articles"),
    Case("CD 33", first=GIRONDE, why="abbreviation and département code"),
    Case("Département 33", first=GIRONDE),
    Case("33", first=GIRONDE, why="a département code alone"),
    Case("Conseil général du Nord", first=NORD, why="the former name of the councils"),
    Case("Aube", first=AUBE, why="the département before the two small communes called Aube"),
    Case("Vienne", among=(VIENNE_DEPARTEMENT, VIENNE_COMMUNE), within=2),
    Case("Seine-Saint-Denis", first=SEINE_SAINT_DENIS),
    Case("974", first=REUNION, why="an overseas département code"),
    # Régions.
    Case("Conseil régional Nouvelle-Aquitaine", first=NOUVELLE_AQUITAINE),
    Case("Région Nouvelle Aquitaine", first=NOUVELLE_AQUITAINE),
    Case("nouvelle-aquitaine", first=NOUVELLE_AQUITAINE),
    Case("Conseil régional d'Occitanie", first=OCCITANIE),
    Case("region normandie", first=NORMANDIE),
    Case("ile de france", first=ILE_DE_FRANCE, why="« Île » without its circumflex"),
    Case("Région", first=ILE_DE_FRANCE, every=lambda r: r["type"] == "region", why="the largest of a kind"),
    # Intercommunalités: CC, CA, CU, métropoles, EPT, spelt out or abbreviated.
    Case("Communauté de communes du Mellois", first=CC_MELLOIS, why="stored « CC Mellois en Poitou »"),
    Case("CC Mellois en Poitou", first=CC_MELLOIS),
    Case("Mellois", first=CC_MELLOIS),
    Case("Communauté d'agglomération du Niortais", first=CA_NIORTAIS),
    Case("CA du Niortais", first=CA_NIORTAIS),
    Case("Agglomération du Niortais", first=CA_NIORTAIS),
    Case("Communauté urbaine d'Arras", first=CU_ARRAS, why="stored « CU d'Arras »"),
    Case("Communauté urbaine du Grand Reims", first=CU_GRAND_REIMS),
    Case("Grand Reims", first=CU_GRAND_REIMS),
    Case("Bordeaux Métropole", first=BORDEAUX_METROPOLE),
    Case("Métropole de Bordeaux", first=BORDEAUX_METROPOLE, why="words in another order"),
    Case("Métropole de Strasbourg", first=EUROMETROPOLE_STRASBOURG, why="stored « Eurométropole »"),
    Case("Métropole de Lyon", first=METROPOLE_LYON),
    Case("Toulouse Métropole", first=TOULOUSE_METROPOLE),
    Case("Paris Ouest La Défense", first=EPT_PARIS_OUEST, why="an établissement public territorial"),
    Case("Plaine Commune", first=EPT_PLAINE_COMMUNE, why="an EPT whose name holds a kind word"),
    Case("Métropole", every=lambda r: "métropole" in r["nature_libelle"].lower()),
    # Communes: bare name before the EPCI named after it, « Ville de », « Mairie de », homonyms.
    Case("Bordeaux", first=BORDEAUX, among=(BORDEAUX_METROPOLE,)),
    Case("Ville de Bordeaux", first=BORDEAUX),
    Case("Mairie de Bordeaux", first=BORDEAUX),
    Case("COMMUNE DE BORDEAUX", first=BORDEAUX, why="as buyers publish it"),
    Case("Lyon", first=LYON, among=(METROPOLE_LYON,), within=2),
    Case("Toulouse", first=TOULOUSE, among=(TOULOUSE_METROPOLE,), within=2),
    Case("Rochelle", first=LA_ROCHELLE, why="without its article"),
    Case("L'Haÿ-les-Roses", first=L_HAY_LES_ROSES),
    Case("Saint-Denis", among=(SAINT_DENIS_974, SAINT_DENIS_93), within=2, why="homonyms by population"),
    Case("Saint-Denis", among=(SAINT_DENIS_974, SAINT_DENIS_93, SAINT_DENIS_11, SAINT_DENIS_30), within=4),
    Case("St Denis", among=(SAINT_DENIS_974, SAINT_DENIS_93), within=2, why="« St » spelt out"),
    Case("Saint-Denis 93", first=SAINT_DENIS_93, why="a département code among the words"),
    Case("mairie de st denis 974", only=(SAINT_DENIS_974,)),
    Case("Ville de Saint-Denis", among=(SAINT_DENIS_974, SAINT_DENIS_93), within=2),
    Case("St-Étienne", first=SAINT_ETIENNE),
    Case("Saint-Martin", first=SAINT_MARTIN_COM, why="the overseas collectivité before the small communes"),
    # Collectivités à statut particulier, also by the départements and régions they stand for.
    Case("Paris", first=VILLE_DE_PARIS),
    Case("Ville de Paris", first=VILLE_DE_PARIS),
    Case("Département de Paris", first=VILLE_DE_PARIS),
    Case("Corse", first=CORSE),
    Case("Collectivité de Corse", first=CORSE),
    Case("Haute-Corse", first=CORSE),
    Case("Corse-du-Sud", first=CORSE),
    Case("2A", first=CORSE, why="Corsican département code"),
    Case("Alsace", first=ALSACE),
    Case("Bas-Rhin", first=ALSACE),
    Case("Martinique", first=MARTINIQUE),
    Case("Collectivité territoriale de Martinique", first=MARTINIQUE),
    Case("Guyane", first=GUYANE),
    Case("Mayotte", first=MAYOTTE),
    # One typo: a letter missing, added, changed, or two letters swapped.
    Case("Bordaux", first=BORDEAUX),
    Case("Bordeuax", first=BORDEAUX),
    Case("Girnode", first=GIRONDE),
    Case("Marseile", first=MARSEILLE),
    Case("Strasbourgg", first=STRASBOURG),
    Case("Toulouze", first=TOULOUSE),
    Case("Montpelier", first=MONTPELLIER),
    Case("Nouvelle-Aquitiane", first=NOUVELLE_AQUITAINE),
    Case("Communauté de communes du Melois", first=CC_MELLOIS, why="a typo and a usual name"),
    Case("Mairrie de Bordeaux", first=BORDEAUX, why="a typo in the words naming the kind"),
    Case("Conseil dépratemental de la Gironde", first=GIRONDE),
    Case("Cmomunauté d'agglomération du Niortais", first=CA_NIORTAIS),
    # Identifiers and codes.
    Case("213300635", only=(BORDEAUX,), why="SIREN"),
    Case("213 300 635", only=(BORDEAUX,), why="SIREN with spaces"),
    Case("21330063500017", only=(BORDEAUX,), why="SIRET"),
    Case("223300013", only=(GIRONDE,)),
    Case("2A004", only=(AJACCIO,), why="Corsican INSEE code"),
    Case("2a004", only=(AJACCIO,)),
    Case("2B033", only=(BASTIA,)),
    Case("01053", first=BOURG_EN_BRESSE, why="INSEE code with a leading zero"),
    Case("01000", first=BOURG_EN_BRESSE, why="postal code with a leading zero"),
    Case("79500", first=MELLE, every=lambda r: r["departement_code"] == "79", why="several communes"),
    Case("33000", first=BORDEAUX),
    # Buyers that are not collectivités are still found, by name or SIREN.
    Case("Centre hospitalier de Niort", first=CH_NIORT),
    Case("hospitalier niort", first=CH_NIORT),
    Case("267900017", only=(CH_NIORT,)),
    Case("Gironde Habitat", first=GIRONDE_HABITAT),
    Case("Niort", first=NIORT, among=(CA_NIORTAIS, CH_NIORT), within=5),
    Case("zzzqqq", only=()),
]


def _results(client: TestClient, query: str) -> list[dict[str, Any]]:
    response = client.get("/api/v1/recherche", params={"q": query, "limite": 10})
    assert response.status_code == 200, response.text
    results: list[dict[str, Any]] = response.json()["resultats"]
    return results


def test_there_are_enough_cases() -> None:
    assert len({c.query for c in CASES}) >= 80


@pytest.mark.parametrize("case", CASES, ids=str)
def test_search_case(client: TestClient, case: Case) -> None:
    results = _results(client, case.query)
    sirens = [r["siren"] for r in results]
    shown = [f"{r['siren']} {r['nom']}" for r in results[:5]]
    if case.only is not None:
        assert sirens == list(case.only), shown
    if case.first:
        assert sirens[:1] == [case.first], shown
    for siren in case.among:
        assert siren in sirens[: case.within], shown
    if case.every is not None:
        assert len(results) > 1, shown
        assert all(case.every(r) for r in results), shown


def test_suggestions_while_typing_reach_the_name(client: TestClient) -> None:
    """Letter by letter, the département appears within the first suggestions from « Giro »."""
    typed = "Gironde"
    for end in range(4, len(typed) + 1):
        sirens = [r["siren"] for r in _results(client, typed[:end])]
        assert GIRONDE in sirens[:3], typed[:end]
