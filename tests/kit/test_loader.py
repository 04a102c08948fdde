"""Loading and checking the kit's YAML files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from leviers.kit import KitDataError, load_kit
from leviers.kit.loader import DATA_DIR


@pytest.fixture
def kit_copy(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_bundled_kit_loads_with_its_fourteen_policy_areas() -> None:
    kit = load_kit()
    domains = kit.domains()
    assert len(domains) == 14
    assert {domain.id for domain in domains} >= {"mobilite", "emploi_insertion", "gens_du_voyage", "logement"}
    for domain in domains:
        actions = kit.actions_of(domain.id)
        assert len(actions) >= 2, domain.id
        for action in actions:
            assert action.leviers, action.id
            assert action.references, action.id
            assert action.niveaux, action.id
            assert action.domaine == domain.id
    assert len(kit.introductions()) >= 3


def test_a_copy_loads_the_same(kit_copy: Path) -> None:
    assert set(load_kit(kit_copy).entries) == set(load_kit().entries)


def test_unknown_lever_names_file_record_and_cause(kit_copy: Path) -> None:
    path = kit_copy / "domaines" / "02_mobilite.yaml"
    replace(
        path,
        "leviers: [participation_scic, mise_a_disposition, subvention]",
        "leviers: [covoiturage_magique]",
    )
    with pytest.raises(KitDataError) as error:
        load_kit(kit_copy)
    message = error.value.message
    assert "02_mobilite.yaml" in message
    assert "mobilite.autopartage" in message
    assert "levier inconnu « covoiturage_magique »" in message


def test_unknown_level_is_refused(kit_copy: Path) -> None:
    path = kit_copy / "domaines" / "12_vieillissement.yaml"
    replace(path, "niveaux: [commune]", "niveaux: [canton]")
    with pytest.raises(
        KitDataError, match=r"action « funeraire_cooperatif » — niveau\(x\) inconnu\(s\) : canton"
    ):
        load_kit(kit_copy)


def test_missing_field_and_unknown_field_are_refused(kit_copy: Path) -> None:
    path = kit_copy / "leviers.yaml"
    replace(path, "    conseil: achat\n", "    conseil: achat\n    auteur: moi\n")
    with pytest.raises(
        KitDataError, match=r"leviers.yaml : « marche_public » — champ\(s\) inconnu\(s\) : auteur"
    ):
        load_kit(kit_copy)


def test_missing_references_are_refused(kit_copy: Path) -> None:
    path = kit_copy / "domaines" / "13_gens_du_voyage.yaml"
    replace(path, "      - Loi n° 2000-321 du 12 avril 2000, art. 9-1\n", "")
    text = path.read_text(encoding="utf-8").replace(
        "    references:\n    mots_cles: [scolarisation", "    references: []\n    mots_cles: [scolarisation"
    )
    path.write_text(text, encoding="utf-8")
    with pytest.raises(KitDataError, match="« references » : au moins un élément attendu"):
        load_kit(kit_copy)


def test_duplicate_identifiers_are_refused(kit_copy: Path) -> None:
    shutil.copy(kit_copy / "domaines" / "14_logement.yaml", kit_copy / "domaines" / "15_logement_bis.yaml")
    with pytest.raises(KitDataError, match="identifiant en double"):
        load_kit(kit_copy)


def test_broken_yaml_is_refused(kit_copy: Path) -> None:
    (kit_copy / "introduction.yaml").write_text("fiches: [\n", encoding="utf-8")
    with pytest.raises(KitDataError, match=r"introduction\.yaml : fichier — YAML illisible"):
        load_kit(kit_copy)


def test_a_reference_read_as_a_mapping_is_refused(kit_copy: Path) -> None:
    # An unquoted "a : b" in a YAML list becomes a mapping; the loader must not let it through.
    path = kit_copy / "domaines" / "03_culture_jeunesse_sport.yaml"
    replace(
        path,
        "      - CGCT art. L1111-4\n      - Circulaire",
        "      - CGCT art. L1111-4 : culture\n      - Circulaire",
    )
    with pytest.raises(KitDataError, match="« references » : liste de textes attendue"):
        load_kit(kit_copy)
