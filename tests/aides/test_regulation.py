"""The regulations shipped as data: valid against the dispositif-aide schema (Frictionless) and the
format's own rules, every figure with its source; the figures read by hand from the research notes
(shared/reference/subsidies-ess.md §4); another Région's regulation added as one file."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from leviers.aides import writer
from leviers.aides.regulation import REGULATIONS_DIR, RegulationError, problems, read, shipped
from leviers.aides.vocabulary import ETAPES, UNKNOWN

NA = REGULATIONS_DIR / "nouvelle-aquitaine-ess.yaml"


def scheme(code: str):  # type: ignore[no-untyped-def]
    (regulation,) = [r for r in shipped() if r.code == "nouvelle-aquitaine-ess"]
    return next(s for s in regulation.schemes if s.code == code)


def test_every_shipped_file_is_valid_and_passes_frictionless() -> None:
    files = sorted(REGULATIONS_DIR.glob("*.yaml"))
    assert files
    for path in files:
        with path.open(encoding="utf-8") as handle:
            assert problems(yaml.safe_load(handle)) == [], path.name
        regulation = read(path)
        schema, cells = writer.table(s.values for s in regulation.schemes)
        assert writer.errors(schema, cells) == [], path.name


def test_every_figure_and_condition_has_a_source_and_unknowns_say_so() -> None:
    checked = 0
    for regulation in shipped():
        for s in regulation.schemes:
            assert s.sources, s.code
            assert {"taux", "plafond"} <= set(s.chiffres), s.code
            for name, figure in s.chiffres.items():
                if figure.valeur is None:
                    assert figure.note == UNKNOWN, (s.code, name)
                    assert figure.source is None, (s.code, name)
                else:
                    assert figure.source, (s.code, name)
                    checked += 1
            for condition in s.conditions:
                assert condition.source, (s.code, condition.texte)
    assert (
        checked == 7
    )  # AMI Tiers-Lieux: rate, ceiling, envelope, closing date; awareness: rate, floor, ceiling


def test_the_nouvelle_aquitaine_regulation_covers_the_issues_lines() -> None:
    (regulation,) = [r for r in shipped() if r.code == "nouvelle-aquitaine-ess"]
    codes = [s.code for s in regulation.schemes]
    for code in (
        "amorcage-ampli", "creation-activites", "developpement", "conseil", "financement-participatif",
        "difficulte", "manager-transition", "soutien-conjoncturel", "ami-tiers-lieux", "ptce", "cae",
        "incubateurs", "sensibilisation", "tetes-de-reseau",
    ):  # fmt: skip
        assert code in codes
    assert {s.values["eligibilite_geographique"] for s in regulation.schemes} == {"REG-75"}
    assert all(set(s.etapes) <= set(ETAPES) for s in regulation.schemes)
    assert all(
        s.values["porteurs"]
        == '[{"nom":"Région Nouvelle-Aquitaine","siren":"200053759","roles":["financeur"]}]'
        for s in regulation.schemes
    )


def test_the_ami_tiers_lieux_figures_are_the_published_ones() -> None:
    ami = scheme("ami-tiers-lieux")
    assert ami.chiffres["taux"].valeur == 50
    assert ami.chiffres["plafond"].valeur == 50000
    assert ami.chiffres["plafond"].text() == "50\u202f000 € HT (pour un projet de 2 ans)"
    assert ami.values["date_cloture"] == "2028-09-01T00:00:00Z"
    assert ami.etapes == ["creation", "consolidation"]
    assert "AMI Tiers-Lieux 2025-2028" in str(ami.chiffres["taux"].source)
    sensibilisation = scheme("sensibilisation")
    assert (sensibilisation.chiffres["plancher"].valeur, sensibilisation.chiffres["plafond"].valeur) == (
        5000,
        20000,
    )
    assert sensibilisation.chiffres["taux"].valeur == 75


def test_what_no_source_gives_is_unknown() -> None:
    transition = scheme("manager-transition")
    assert transition.etapes == []
    assert transition.chiffres["taux"].valeur is None
    assert transition.chiffres["taux"].text() == "non précisé par les sources"


def test_another_region_is_one_more_file(tmp_path: Path) -> None:
    other = {
        "reglement": {
            "code": "region-exemple-ess",
            "titre": "Règlement ESS d'une autre région (fichier de test, synthétique)",
            "collectivite": {"nom": "Région Pays de la Loire", "siren": "234400034"},
            "territoire": "REG-52",
            "date_mise_a_jour": "2026-12-01T00:00:00Z",
            "sources": {
                "texte": {"titre": "Délibération (exemple)", "url": "https://exemple.fr/deliberation"}
            },
        },
        "dispositifs": [
            {
                "code": "creation",
                "id": "5b0b1a34-3c1b-4b3c-9a55-0d2a4e1f7b10",
                "axe": "cycle_de_vie",
                "titre": "Aide à la création",
                "description": "Aide à la création d'entreprises de l'ESS.",
                "eligibilite": ["Entreprises de l'ESS en création"],
                "types_aides": ["financement"],
                "cibles": ["professionnels"],
                "etapes": ["creation"],
                "beneficiaires": ["entreprise_ess"],
                "themes": ["developpement_economique"],
                "regles": {"etapes": "texte", "beneficiaires": "texte"},
                "taux": {"valeur": 30, "unite": "%", "source": "texte"},
                "plafond": {"valeur": None, "note": UNKNOWN},
                "sources": ["texte"],
            }
        ],
    }
    path = tmp_path / "region-exemple-ess.yaml"
    path.write_text(yaml.safe_dump(other, allow_unicode=True), encoding="utf-8")
    regulation = read(path)
    (only,) = regulation.schemes
    assert (only.origine, only.values["eligibilite_geographique"], only.chiffres["taux"].valeur) == (
        "reglement:region-exemple-ess",
        "REG-52",
        30,
    )
    # A figure without its source, an invented stage, a ceiling left out: refused, each said.
    broken = other["dispositifs"][0]
    broken["taux"] = {"valeur": 30}
    broken["etapes"] = ["croissance"]
    del broken["plafond"]
    path.write_text(yaml.safe_dump(other, allow_unicode=True), encoding="utf-8")
    with pytest.raises(RegulationError) as refused:
        read(path)
    assert str(refused.value) == (
        f"{path} : règlement refusé — dispositif « creation » : etapes : valeur inconnue 'croissance' ; "
        "dispositif « creation » : « taux » : chiffre sans source connue (None) ; "
        "dispositif « creation » : « plafond » absent : écrire « valeur: null » et « note: non précisé par les sources »"
    )
