"""The explanations come from the OpenFisca trace, not from a parallel path."""

from __future__ import annotations

import datetime

from openfisca_core.periods import instant

from leviers.law.explanations import explain
from leviers.law.system import LeviersLegalSystem
from leviers.law.trace import run_traced

PURCHASE = {"nature_achat": "services", "montant_ht": 50000.0, "categorie_acheteur": "collectivite"}


def test_the_explanation_follows_the_parameter_actually_read() -> None:
    # A system whose dispense threshold is changed: the explanation must cite the new value,
    # which it can only know from the trace of the computation.
    system = LeviersLegalSystem()
    system.parameters.commande_publique.dispense.fournitures_services.update(
        start=instant("2026-04-01"), value=45000
    )
    run = run_traced(PURCHASE, datetime.date(2026, 4, 15), ["procedure"], system=system)
    assert run.values["procedure"] == "mapa"
    text = "\n".join(explain(run))
    assert "n'est pas inférieur au seuil de dispense de 45 000 € HT" in text
    assert "60 000" not in text


def test_vectorial_parameter_reads_are_resolved_to_the_leaf() -> None:
    run = run_traced(
        {"nature_achat": "travaux", "montant_ht": 6e6, "categorie_acheteur": "entite_adjudicatrice"},
        datetime.date(2024, 6, 1),
        ["procedure"],
    )
    step = run.step("seuil_europeen")
    assert [use.parametre for use in step.parametres] == [
        "commande_publique.seuils_europeens.travaux.entite_adjudicatrice"
    ]
    use = step.parametres[0]
    assert (use.valeur, use.date_effet, use.prochaine_date, use.prochaine_valeur) == (
        5538000,
        "2024-01-01",
        "2026-01-01",
        5404000,
    )
    assert step.entrees == {"famille_seuil_europeen": "travaux", "categorie_acheteur": "entite_adjudicatrice"}


def test_steps_come_dependencies_first_and_once() -> None:
    run = run_traced(PURCHASE, datetime.date(2026, 4, 15), ["procedure", "publicite"])
    names = [step.variable for step in run.steps]
    assert len(names) == len(set(names))
    assert names.index("montant_ht") < names.index("dispense_possible") < names.index("procedure")
    assert names.index("procedure") < names.index("publicite")
    assert run.step("procedure").valeur_libelle == "Dispense de publicité et de mise en concurrence possible"


def test_competence_cells_carry_their_condition() -> None:
    run = run_traced(
        {"niveau_collectivite": "commune", "action_collectivite": "dernier_commerce_rural"},
        datetime.date(2026, 1, 1),
        ["statut_competence"],
    )
    use = run.step("statut_competence").parametres[0]
    assert use.parametre == "competences.dernier_commerce_rural.commune"
    assert use.valeur == "sous_conditions"
    assert "initiative privée" in (use.condition or "")
