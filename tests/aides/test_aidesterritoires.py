"""Aides-territoires' vocabulary in the dispositif-aide schema: audiences → cibles (checked against
the Régions' mappings Aides-territoires itself uses), perimeters → COG codes, HTML → text."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from leviers.aides.aidesterritoires import AUDIENCE_CIBLES, cog_codes, text_of, to_record

MAPPINGS = ("nouvelle_aquitaine_rss_audiences_mapping.csv", "pays_de_la_loire_audiences_mapping.csv")


def test_every_audience_the_regions_mappings_name_has_its_cibles(real_data: Path) -> None:
    named = set()
    for name in MAPPINGS:
        with (real_data / "aides" / "aides-territoires" / name).open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                named |= {v for k, v in row.items() if k.startswith("Bénéficiaires AT") and v}
    assert len(named) >= 8
    assert sorted(named - set(AUDIENCE_CIBLES)) == []
    # The Région's « Association » and « GIE » land among the associations; its « Entreprise » with professionals.
    assert AUDIENCE_CIBLES["Associations"] == ("associations",)
    assert AUDIENCE_CIBLES["Entreprises privées"] == ("professionnels",)


@pytest.mark.parametrize(
    ("perimeter", "scale", "codes"),
    [
        ("France", "Pays", "PAYS-99100"),
        ("Nouvelle-Aquitaine", "Région", "REG-75"),
        ("Provence-Alpes-Côte d'Azur", "Région", "REG-93"),
        ("Gironde", "Département", "DEP-33"),
        ("Corse-du-Sud", "Département", "DEP-2A"),
        ("Gironde (33)", None, "DEP-33"),
        ("CA du Grand Angoulême", "EPCI", None),  # named, never guessed
        ("Europe", "Continent", None),
        (None, None, None),
    ],
)
def test_perimeters_in_cog_codes(perimeter: str | None, scale: str | None, codes: str | None) -> None:
    assert cog_codes(perimeter, scale) == codes


def test_html_becomes_text_and_an_aid_without_address_is_refused() -> None:
    assert text_of("<p>Un <b>texte</b></p><ul><li>a</li><li>b</li></ul>") == "Un texte\na\nb"
    assert text_of(None) == ""
    record = to_record(0, {"id": 7, "name": "Sans adresse"}, None)
    assert record.problems == [("id", "aide sans adresse ni « slug » : pas d'identifiant stable")]
    long = to_record(1, {"slug": "long", "description": "x" * 6000}, None)
    assert len(long.values["description"] or "") == 5000
    assert long.warnings[0] == (
        "description",
        "texte de 6000 caractères coupé à 5000 (limite du schéma)",
        None,
    )
