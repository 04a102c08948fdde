"""Searching the kit and following its links from the advisors."""

from __future__ import annotations

import json

import pytest

from leviers.kit import UnknownLevel, fold, load_kit
from leviers.law.competence import competence
from leviers.law.contracting import KIT_BY_MODE
from leviers.law.system import legal_system
from leviers.law.variables.leviers import LEVER_CODES


def test_fold_removes_accents_case_and_elisions() -> None:
    assert fold("Élévation d'Œuvres — VÉLO") == "elevation d oeuvres velo"


def test_search_is_accent_and_case_insensitive() -> None:
    kit = load_kit()
    for query in ("velo", "VÉLO", "vélos"):
        hits = kit.search(query)
        assert hits[0].id == "mobilite.ateliers_velo", query
    assert kit.search("epicerie")[0].id == "action_sociale_sante.epicerie_solidaire"


def test_every_word_must_match() -> None:
    kit = load_kit()
    ids = [hit.id for hit in kit.search("cantine bio")]
    assert ids[0] == "education_petite_enfance.restauration_scolaire"
    assert kit.search("cantine zzzz") == []
    assert kit.search("   ") == []


def test_titles_weigh_more_than_bodies() -> None:
    hits = load_kit().search("ressourcerie")
    assert hits[0].id == "dechets.ressourceries"
    assert hits[0].score > hits[-1].score


def test_search_by_level() -> None:
    kit = load_kit()
    assert "gens_du_voyage.gestion_aires" in [hit.id for hit in kit.search("aires d'accueil")]
    assert "gens_du_voyage.gestion_aires" not in [
        hit.id for hit in kit.search("aires d'accueil", niveau="commune")
    ]


def test_unknown_level_is_refused_in_french() -> None:
    with pytest.raises(UnknownLevel, match="niveau « canton » inconnu — niveaux possibles : commune, epci"):
        load_kit().search("vélo", niveau="canton")


def test_entries_for_a_level_of_collectivite() -> None:
    ids = {entry.id for entry in load_kit().for_level("departement")}
    assert "action_sociale_sante.aide_a_domicile" in ids
    assert "developpement_economique.dernier_commerce" not in ids


def test_every_lever_of_the_purchase_advisor_has_a_kit_sheet() -> None:
    kit = load_kit()
    for code in LEVER_CODES:
        assert f"levier.{code}" in kit.entries, code


def test_every_kit_link_given_by_the_advisors_exists() -> None:
    kit = load_kit()
    links = [link for links in KIT_BY_MODE.values() for link in links] + ["levier.spaser"]
    for node in legal_system().parameters.competences.children.values():
        links += node.metadata["kit"]
    for link in links:
        kit.entry(link)  # raises UnknownKitEntry if missing


def test_competence_answer_links_to_the_kit() -> None:
    advice = competence("commune", "dernier_commerce_rural", "2026-01-01")
    kit = load_kit()
    assert [kit.entry(link).titre for link in advice.kit] == [
        "Maintenir un service en milieu rural",
        "Maintenir le dernier commerce du village",
    ]


def test_lever_links_list_the_actions_using_it() -> None:
    links = load_kit().links_for_lever("marche_reserve_ess")
    assert links[0] == "levier.marche_reserve_ess"
    assert "logement.mediation_sociale" in links
    assert load_kit().links_for_lever("inexistant") == []


def test_entries_serialise_to_json() -> None:
    entry = load_kit().entry("levier.participation_scic")
    payload = json.loads(json.dumps(entry.to_dict(), ensure_ascii=False))
    assert payload["a_verifier"] is True
    assert payload["type_libelle"] == "Fiche levier"
    assert payload["conseil"] == "competence"
