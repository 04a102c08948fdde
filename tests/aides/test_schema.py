"""The dispositif-aide schema's rules, checked on the schema's own example and on broken copies of it."""

from __future__ import annotations

import csv
from pathlib import Path

from leviers.aides.schema import ALL_FIELDS, BASE_FIELDS, PRO_FIELDS, check, parse_datetime, scheme_uuid

EXAMPLES = "aides/schema-dispositif-aide"


def example(real_data: Path, name: str = "dispositif-aide__exemple.csv") -> dict[str, str | None]:
    with (real_data / EXAMPLES / name).open(encoding="utf-8", newline="") as handle:
        (row,) = list(csv.DictReader(handle))
    return {k: v or None for k, v in row.items()}


def test_the_fields_are_the_published_ones() -> None:
    assert len(BASE_FIELDS) == 15
    assert BASE_FIELDS[:3] == ("id", "titre", "promesse")
    assert len(ALL_FIELDS) == 26
    assert PRO_FIELDS[0] == "base_juridique"
    assert "ciblage_secteur_activite" in PRO_FIELDS


def test_the_schemas_examples_are_valid(real_data: Path) -> None:
    assert check(example(real_data)) == []
    assert check(example(real_data, "exemple-complet.csv")) == []


def test_each_broken_rule_has_its_french_reason(real_data: Path) -> None:
    record = example(real_data)
    record.update(
        id="42",
        titre=None,
        cibles="entreprises",
        eligibilite_geographique="Nouvelle-Aquitaine",
        date_mise_a_jour="hier",
        url_source="www.exemple.fr",
        promesse="x" * 181,
    )
    assert check(record) == [
        ("id", "id : « 42 » n'est pas un UUID (ex. 65d5b6c7-102c-4440-ac3b-768f708edc0a)"),
        ("titre", "champ obligatoire « titre » absent ou vide"),
        ("promesse", "promesse : 181 caractères, au plus 180 selon le schéma"),
        ("url_source", "url_source : « www.exemple.fr » n'est pas une adresse web en http:// ou https://"),
        (
            "cibles",
            "cibles : « entreprises » ne suit pas le format du schéma (valeurs attendues, séparées par "
            "« | » : professionnels, particuliers, associations, secteur public)",
        ),
        (
            "eligibilite_geographique",
            "eligibilite_geographique : « Nouvelle-Aquitaine » ne suit pas le format du schéma (codes du "
            "COG attendus, séparés par « | » (ex. REG-75|DEP-33))",
        ),
        (
            "date_mise_a_jour",
            "date_mise_a_jour : « hier » n'est pas une date ISO 8601 (ex. 2025-10-15T15:00:00Z)",
        ),
    ]


def test_the_business_sector_is_required_only_with_the_professionnels_extension(real_data: Path) -> None:
    record = example(real_data)
    assert check(record) == []  # no field of the extension: none of its requirements
    record["eligibilite_effectif_maximal"] = "dix"
    assert check(record) == [
        ("eligibilite_effectif_maximal", "eligibilite_effectif_maximal : « dix » n'est pas un nombre entier"),
        ("ciblage_secteur_activite", "champ obligatoire « ciblage_secteur_activite » absent ou vide"),
    ]


def test_dates_and_stable_ids() -> None:
    assert parse_datetime("2025-10-15T15:00:00Z").isoformat() == "2025-10-15T15:00:00+00:00"  # type: ignore[union-attr]
    assert parse_datetime("2028-09-01").isoformat() == "2028-09-01T00:00:00+00:00"  # type: ignore[union-attr]
    assert parse_datetime("01/09/2028") is None
    page = "https://aides-territoires.beta.gouv.fr/aides/exemple/"
    assert scheme_uuid(page) == scheme_uuid(page)
    assert scheme_uuid(page) == "fc82f407-d907-57c0-af22-71a3da8197ce"  # UUID v5 (RFC 4122) of the address
