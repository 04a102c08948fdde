"""Data-driven tests of the advisors: the YAML cases in tests/law/cases/ hold the hand-computed answers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from leviers.law import advise_contracting_mode, advise_purchase, competence, spaser_duty
from leviers.law.results import Seuil

CASES = Path(__file__).resolve().parent / "cases"


def load_cases(name: str) -> list[Any]:
    with (CASES / f"{name}.yaml").open(encoding="utf-8") as handle:
        cases = yaml.safe_load(handle)
    return [pytest.param(case, id=case["nom"]) for case in cases]


def check_thresholds(found: list[Seuil], expected: dict[str, dict[str, Any]]) -> None:
    by_name = {seuil.parametre: seuil for seuil in found}
    for name, attendu in expected.items():
        assert name in by_name, f"{name} absent des seuils : {sorted(by_name)}"
        seuil = by_name[name]
        assert seuil.valeur == attendu["valeur"]
        assert seuil.date_effet == attendu["date_effet"]
        if "reference" in attendu:
            assert attendu["reference"] in seuil.reference
        assert seuil.nom
        assert seuil.reference


def check_explanation(explication: list[str], fragments: list[str], absent: list[str] | None = None) -> None:
    text = "\n".join(explication)
    for fragment in fragments:
        assert fragment in text, f"« {fragment} » absent de l'explication :\n{text}"
    for fragment in absent or []:
        assert fragment not in text, f"« {fragment} » ne devrait pas figurer dans l'explication :\n{text}"


@pytest.mark.parametrize("case", load_cases("achat"))
def test_purchase(case: dict[str, Any]) -> None:
    advice = advise_purchase(**case["question"])
    attendu = case["attendu"]
    for key in ("procedure", "publicite", "decp"):
        if key in attendu:
            assert getattr(advice, key) == attendu[key]
    check_thresholds(advice.seuils, attendu.get("seuils", {}))
    check_thresholds(advice.regles_datees, attendu.get("regles", {}))
    statuses = {levier.code: levier.statut for levier in advice.leviers}
    for code, statut in attendu.get("leviers", {}).items():
        assert statuses[code] == statut, code
    check_explanation(advice.explication, attendu.get("explication", []))
    if "avertissement" in attendu:
        assert any(attendu["avertissement"] in line for line in advice.avertissements)
    json.dumps(advice.to_dict())


@pytest.mark.parametrize("case", load_cases("contrat"))
def test_contracting_mode(case: dict[str, Any]) -> None:
    advice = advise_contracting_mode(case["question"])
    attendu = case["attendu"]
    for key in ("mode", "regime_aide_etat", "convention_obligatoire", "publication_obligatoire"):
        if key in attendu:
            assert getattr(advice, key) == attendu[key], key
    check_thresholds(advice.seuils, attendu.get("seuils", {}))
    shown = {seuil.parametre for seuil in advice.seuils}
    for name in attendu.get("sans_seuils", []):
        assert name not in shown
    if "kit" in attendu:
        assert advice.kit == attendu["kit"]
    check_explanation(advice.explication, attendu.get("explication", []), attendu.get("sans_explication"))
    if "avertissement" in attendu:
        assert any(attendu["avertissement"] in line for line in advice.avertissements)
    json.dumps(advice.to_dict())


@pytest.mark.parametrize("case", load_cases("spaser"))
def test_spaser(case: dict[str, Any]) -> None:
    question = case["question"]
    advice = spaser_duty(question["achats_annuels"], question["date"], question["acheteur"])
    attendu = case["attendu"]
    assert advice.obligation == attendu["obligation"]
    check_thresholds(advice.seuils, attendu.get("seuils", {}))
    check_thresholds(advice.regles_datees, attendu.get("regles", {}))
    check_explanation(advice.explication, attendu.get("explication", []))
    assert any("approximation" in line for line in advice.avertissements)
    json.dumps(advice.to_dict())


@pytest.mark.parametrize("case", load_cases("competence"))
def test_competence(case: dict[str, Any]) -> None:
    question = case["question"]
    advice = competence(question["collectivite"], question["action"], question["date"])
    attendu = case["attendu"]
    assert advice.statut == attendu["statut"]
    if "reference" in attendu:
        assert attendu["reference"] in advice.references
    if "condition" in attendu:
        assert attendu["condition"] in (advice.condition or "")
    if "a_verifier" in attendu:
        assert advice.a_verifier is attendu["a_verifier"]
    for entry in attendu.get("kit", []):
        assert entry in advice.kit
    check_explanation(advice.explication, attendu.get("explication", []))
    json.dumps(advice.to_dict())


def test_purchase_json_has_the_fields_the_issue_asks_for() -> None:
    payload = json.loads(
        json.dumps(advise_purchase("services", 50000, "collectivite", "2026-04-15").to_dict())
    )
    assert payload["procedure"] == "dispense"
    assert payload["seuils"], "at least one threshold"
    for seuil in payload["seuils"]:
        assert {"nom", "valeur", "reference"} <= set(seuil)
    assert {"code", "libelle", "statut", "references", "kit"} <= set(payload["leviers"][0])
    assert all(isinstance(line, str) for line in payload["explication"])


def test_every_lever_is_answered_with_a_condition_and_a_reference() -> None:
    advice = advise_purchase("services_sociaux", 300000, "collectivite", "2026-09-01")
    assert len(advice.leviers) == 16
    for levier in advice.leviers:
        assert levier.condition
        assert levier.references
        assert levier.kit
        assert levier.kit[0] == f"levier.{levier.code}"
    # the advice links to the kit sheets of the levers that apply, not of those that do not
    assert "levier.marche_reserve_ess" in advice.kit
    cheap = advise_purchase("fournitures", 300000, "collectivite", "2026-09-01")
    assert "levier.marche_reserve_ess" not in cheap.kit
