"""Objectives files: written as buyers write them, refused with the line and the cause."""

from __future__ import annotations

from pathlib import Path

import pytest

from leviers.errors import InputRefused
from leviers.spaser.objectives import load_objectives


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_yaml_targets_in_the_buyer_s_own_words(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "objectifs.yaml",
        """
objectifs:
  - indicateur: social
    cible: 25 %
    annee: 2026
  - indicateur: environmental
    cible: "0,8"
    base: montant
  - indicateur: single_offer
    cible: 20 %
  - axe: ethique
    code: commerce_equitable
    libelle: Achats alimentaires issus du commerce équitable
    cible: 10 %
    valeur_declaree: 6 %
    source: comptabilité 2024
""",
    )
    social, environmental, single, own = load_objectives(path)
    assert (social.axe, social.cible, social.part, social.base, social.annee) == (
        "social",
        0.25,
        True,
        "nombre",
        2026,
    )
    assert (environmental.axe, environmental.cible, environmental.base) == ("environnemental", 0.8, "montant")
    assert single.sens == "baisse"  # fewer single offers is better
    assert (own.indicateur, own.code, own.valeur_declaree, own.part) == (
        None,
        "commerce_equitable",
        0.06,
        True,
    )


def test_csv_with_semicolons_and_a_bom(tmp_path: Path) -> None:
    path = tmp_path / "objectifs.csv"
    path.write_bytes("\ufeffaxe;indicateur;cible;base\nsocial;social_reserved;5 %;nombre\n".encode())
    (objective,) = load_objectives(path)
    assert (objective.indicateur, objective.cible) == ("social_reserved", pytest.approx(0.05))


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("  - indicateur: inconnu\n    cible: 10 %", "indicateur « inconnu » inconnu du catalogue"),
        ("  - indicateur: social\n    cible: 30", "hors de 0 à 100 %"),
        ("  - indicateur: social\n    cible: beaucoup", "n'est pas un nombre"),
        ("  - indicateur: social", "cible manquante"),
        ("  - indicateur: social\n    cible: 10 %\n    base: euros", "base « euros » inconnue"),
        ("  - axe: culture\n    code: x\n    libelle: X\n    cible: 1", "axe « culture » inconnu"),
        ("  - indicateur: social\n    cible: 10 %\n    valeur_declaree: 5 %", "se mesure"),
        ("  - indicateur: social\n    cible: 10 %\n    cibel: 5", "champ(s) inconnu(s) cibel"),
    ],
)
def test_a_bad_objective_is_refused_with_its_number(tmp_path: Path, line: str, message: str) -> None:
    path = write(tmp_path, "o.yaml", "objectifs:\n  - indicateur: sme\n    cible: 40 %\n" + line + "\n")
    with pytest.raises(InputRefused) as caught:
        load_objectives(path)
    assert caught.value.path == "o.yaml, objectif 2"
    assert message in caught.value.cause


def test_a_duplicate_objective_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "o.csv", "indicateur,cible\nsocial,10 %\nsocial,20 %\n")
    with pytest.raises(InputRefused, match=r"o\.csv, ligne 3 : fichier refusé — objectif en double"):
        load_objectives(path)


def test_an_unreadable_file_is_said(tmp_path: Path) -> None:
    with pytest.raises(InputRefused, match="illisible"):
        load_objectives(tmp_path / "absent.yaml")
    with pytest.raises(InputRefused, match="une liste d'objectifs est attendue"):
        load_objectives(write(tmp_path, "x.yaml", "titre: mes objectifs\n"))
