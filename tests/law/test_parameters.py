"""The YAML parameters: every dated value carries its legal reference, dates cover the coded range."""

from __future__ import annotations

from collections.abc import Iterator

import numpy
import pytest
from openfisca_core.parameters import Parameter, ParameterNode

from leviers.law.formatting import is_unverified
from leviers.law.system import FIRST_DATE, legal_system


def leaves(node: ParameterNode) -> Iterator[Parameter]:
    for child in node.children.values():
        if isinstance(child, ParameterNode):
            yield from leaves(child)
        else:
            yield child


ALL = sorted(leaves(legal_system().parameters), key=lambda parameter: parameter.name)


def test_the_tree_holds_the_expected_parameters() -> None:
    names = {parameter.name for parameter in ALL}
    assert "commande_publique.dispense.fournitures_services" in names
    assert "commande_publique.seuils_europeens.fournitures_services.collectivite" in names
    assert "competences.dernier_commerce_rural.commune" in names
    assert len(names) >= 60


@pytest.mark.parametrize("parameter", ALL, ids=lambda parameter: parameter.name)
def test_every_dated_value_has_a_reference(parameter: Parameter) -> None:
    assert parameter.values_list, "no value"
    for dated in parameter.values_list:
        references = dated.metadata.get("reference")
        assert isinstance(references, list), f"{dated.instant_str}: references must be a list"
        assert references, f"{dated.instant_str}: no reference"
        assert all(isinstance(item, str) and item.strip() for item in references), references


# Read only by a formula that starts later (obligation_decp.formula_2024_01_01).
LATER = {"commande_publique.decp.seuil_option_liste": "2024-01-01"}


@pytest.mark.parametrize("parameter", ALL, ids=lambda parameter: parameter.name)
def test_every_parameter_has_a_value_on_the_first_day_it_is_read(parameter: Parameter) -> None:
    first = min(dated.instant_str for dated in parameter.values_list)
    assert first <= LATER.get(parameter.name, FIRST_DATE.isoformat())


@pytest.mark.parametrize("parameter", ALL, ids=lambda parameter: parameter.name)
def test_amounts_are_euros_and_say_whether_they_are_excluding_tax(parameter: Parameter) -> None:
    values = [dated.value for dated in parameter.values_list]
    if parameter.name.startswith("competences."):
        assert set(values) <= {"autorise", "sous_conditions", "non_autorise"}
        assert parameter.values_list[0].metadata.get("condition")
    elif all(isinstance(value, bool) for value in values):
        assert parameter.description
    else:
        assert all(isinstance(value, int) and value > 0 for value in values)
        assert parameter.metadata.get("unit") == "currency-EUR"
        assert parameter.metadata.get("regle"), "the comparison rule (< or ≥) must be stated"
        procurement = parameter.name.startswith(("commande_publique.", "spaser."))
        assert bool(parameter.metadata.get("hors_taxes")) is procurement


def test_the_unverified_mark_is_read_from_the_references() -> None:
    system = legal_system()
    publicity = system.parameters.commande_publique.publicite.seuil_boamp_jal.values_list[0]
    assert is_unverified(publicity.metadata["reference"])
    dispense = system.parameters.commande_publique.dispense.fournitures_services.values_list[0]
    assert dispense.instant_str == "2026-04-01"
    assert not is_unverified(dispense.metadata["reference"])


def test_amount_variables_are_stored_in_float64() -> None:
    # float32 would round 5 403 999.99 to 5 404 000 and break the boundary tests.
    system = legal_system()
    for name in ("montant_ht", "montant_annuel", "aides_trois_ans", "achats_annuels_ht", "seuil_europeen"):
        assert numpy.dtype(system.variables[name].dtype) == numpy.float64, name
