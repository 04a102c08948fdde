"""The search key, the usual names of collectivités, one-typo matching and the index's order, on
small hand-made entries (the cases over the whole shipped reference are in
tests/web/test_search_cases.py)."""

from __future__ import annotations

import pytest

from leviers.reference.search import (
    SearchEntry,
    SearchIndex,
    parse_query,
    search_key,
    search_words,
    within_one_edit,
)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Saint-Émilion", "saint emilion"),
        ("  CŒUR  de   Bourgogne ", "coeur de bourgogne"),
        ("L'Haÿ-les-Roses", "l hay les roses"),
        ("Communauté d’agglomération", "communaute d agglomeration"),
        ("ÎLE-DE-FRANCE", "ile de france"),
        ("Straße Ærø", "strasse aero"),
        ("", ""),
        ("--", ""),
    ],
)
def test_search_key(text: str, key: str) -> None:
    assert search_key(text) == key


def test_search_words_spell_out_saint() -> None:
    assert search_words("CC du Pays de Pontchâteau St-Gildas-des-Bois")[-4:] == [
        "saint",
        "gildas",
        "des",
        "bois",
    ]
    assert search_words("Ste-Foy") == ["sainte", "foy"]


@pytest.mark.parametrize(
    ("query", "words", "kind"),
    [
        ("Communauté de communes du Mellois", ("mellois",), "cc"),
        ("Communauté d'agglomération du Niortais", ("niortais",), "ca"),
        ("CA du Niortais", ("niortais",), "ca"),
        ("Communauté urbaine d'Arras", ("arras",), "cu"),
        ("Ville de Bordeaux", ("bordeaux",), "commune"),
        ("Mairie de Bordeaux", ("bordeaux",), "commune"),
        ("Conseil départemental de la Gironde", ("gironde",), "departement"),
        ("Conseil général du Nord", ("nord",), "departement"),
        ("Conseil régional Nouvelle-Aquitaine", ("nouvelle", "aquitaine"), "region"),
        ("Bordeaux Métropole ", ("bordeaux",), "metropole"),
        # Being typed, a last word naming a kind still counts as a word: « Ville » may be Villeurbanne.
        ("Bordeaux Métropole", ("bordeaux", "metropole"), "metropole"),
        ("Ville", ("ville",), "commune"),
        ("Collectivité de Corse", ("corse",), "collectivite"),
        ("Gironde", ("gironde",), None),
        # …and so does a short abbreviation (Caen).
        ("Ville de Ca", ("ca",), "commune"),
        # …a phrase begun at the end names the kind only.
        ("Gironde conseil dép", ("gironde",), "departement"),
        ("Communauté de comm", (), "cc"),
        # …a single word beginning a phrase stays a word (Saint-Régis).
        ("Saint Rég", ("saint", "reg"), "region"),
        ("la", ("la",), None),
        ("St", ("st",), None),
        ("St ", ("saint",), None),
    ],
)
def test_parse_query_usual_names(query: str, words: tuple[str, ...], kind: str | None) -> None:
    parsed = parse_query(query)
    assert parsed.words == words
    assert (parsed.kind.name if parsed.kind else None) == kind


def test_parse_query_codes_among_words() -> None:
    parsed = parse_query("Saint-Denis 93")
    assert parsed.words == ("saint", "denis")
    assert parsed.codes == ("93",)
    assert not parsed.open_end  # the last thing typed is the code
    assert parse_query("CD 2a").codes == ("2A",)
    assert parse_query("CD 2a").kind is not None


@pytest.mark.parametrize(
    ("a", "b", "near"),
    [
        ("bordeaux", "bordeaux", True),
        ("bordaux", "bordeaux", True),  # missing letter
        ("bordeaaux", "bordeaux", True),  # extra letter
        ("bordeoux", "bordeaux", True),  # changed letter
        ("bordeuax", "bordeaux", True),  # swapped neighbours
        ("girnode", "gironde", True),
        ("brodeuax", "bordeaux", False),  # two swaps
        ("bordx", "bordeaux", False),
        ("abc", "bca", False),
    ],
)
def test_within_one_edit(a: str, b: str, near: bool) -> None:
    assert within_one_edit(a, b) is near
    assert within_one_edit(b, a) is near


def _entry(siren: str, *names: str, **fields: object) -> SearchEntry:
    return SearchEntry(siren=siren, names=names, **fields)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def index() -> SearchIndex:
    commune = {"type": "commune", "nature": "COMMUNE", "competences": ("commune",), "collectivite": True}
    return SearchIndex(
        [
            _entry("1", "Gironde-sur-Dropt", population=1333, code="33193", codes_postaux=("33190",),
                   departements=("33",), **commune),
            _entry("2", "Département de la Gironde", "Gironde", type="departement", nature="DEPARTEMENT",
                   competences=("departement",), population=1_690_493, collectivite=True,
                   departements=("33",), departements_gouvernes=("33",)),
            _entry("3", "Bordeaux", "MAIRIE DE BORDEAUX", population=267_991, code="33063",
                   codes_postaux=("33000", "33800"), departements=("33",), contrats=10, **commune),
            _entry("4", "Bordeaux Métropole", type="epci", nature="METRO", competences=("epci",),
                   population=843_738, collectivite=True, departements=("33",)),
            _entry("5", "Bourdeaux", population=670, code="26056", departements=("26",), **commune),
            _entry("6", "CENTRE HOSPITALIER DE BORDEAUX", contrats=40),
            _entry("7", "Saint-Denis", population=155_634, code="97411", departements=("974",), **commune),
            _entry("8", "Saint-Denis", population=149_077, code="93066", departements=("93",), **commune),
            _entry("10", "SYNDICAT MIXTE 02301", contrats=3),
            _entry("9", "Saint-Denis-de-Pile", population=5955, code="33393", departements=("33",), **commune),
        ]
    )  # fmt: skip


def _sirens(index: SearchIndex, query: str, limit: int = 10) -> list[str]:
    return [e.siren for e in index.search(query, limit)]


def test_exact_name_first_then_population(index: SearchIndex) -> None:
    assert _sirens(index, "Gironde")[:2] == ["2", "1"]
    # A bare city name is the commune, not the EPCI named after it; both are listed.
    assert _sirens(index, "Bordeaux")[:2] == ["3", "4"]
    assert _sirens(index, "Bordeaux Métropole")[0] == "4"


def test_kind_named_comes_first(index: SearchIndex) -> None:
    assert _sirens(index, "Métropole de Bordeaux")[0] == "4"
    assert _sirens(index, "Ville de Bordeaux")[0] == "3"
    assert _sirens(index, "Conseil départemental de la Gironde")[0] == "2"
    # A kind alone: the largest of that kind.
    assert _sirens(index, "Métropole") == ["4"]


def test_collectivites_before_other_buyers_and_typos_last(index: SearchIndex) -> None:
    found = _sirens(index, "bordeaux")
    assert found.index("6") > found.index("4")  # the hospital after the collectivités
    assert found[-1] == "5"  # « Bourdeaux », one letter away, only to fill the list
    assert _sirens(index, "Bordaux")[0] == "3"


def test_homonyms_by_population_and_departement_code(index: SearchIndex) -> None:
    assert _sirens(index, "Saint-Denis") == ["7", "8", "9"]
    assert _sirens(index, "Saint-Denis 93") == ["8"]
    assert _sirens(index, "st denis 974") == ["7"]


def test_codes(index: SearchIndex) -> None:
    assert _sirens(index, "33063") == ["3"]
    assert _sirens(index, "33800") == ["3"]  # a commune's second postal code
    assert _sirens(index, "33") == ["2", "3", "9", "1"]  # the département, then its communes
    assert _sirens(index, "3300") == ["3"]  # a code being typed
    assert _sirens(index, "2") == []
    assert _sirens(index, "6") == []


def test_numbers_that_narrow_to_nothing_are_words(index: SearchIndex) -> None:
    assert _sirens(index, "syndicat mixte 02301") == ["10"]
    assert _sirens(index, "syndicat mixte 33") == []  # a département code that narrows: kept as such


def test_limit_and_empty(index: SearchIndex) -> None:
    assert len(_sirens(index, "saint", limit=2)) == 2
    assert _sirens(index, "") == []
    assert _sirens(index, "de la ") == []  # articles alone, finished
    assert _sirens(index, "zzzz") == []
    assert _sirens(index, "bordeaux", limit=0) == []
