"""Run the OpenFisca rules with the tracer on and turn the computation trace into plain records.

Every advisor answer is computed here: the inputs are set on a one-operation, one-buyer simulation,
the requested variables are calculated with `trace=True`, and the tracer's tree is walked to record,
for each variable computed, its value, its inputs and the parameters it read — each parameter
resolved to the dated value in force on the day asked, with that value's legal references. The
French explanations are written from these records only.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy
from openfisca_core.indexed_enums import EnumArray
from openfisca_core.parameters import Parameter, ParameterNode
from openfisca_core.simulations import SimulationBuilder
from openfisca_core.tracers import TraceNode

from leviers.law.formatting import is_unverified
from leviers.law.system import LeviersLegalSystem, legal_system

Scalar = bool | int | float | str | None


@dataclass(frozen=True)
class ParameterUse:
    """One dated parameter value read by a rule."""

    parametre: str
    libelle: str
    valeur: Scalar
    date_effet: str
    date_consultee: str
    article: str | None
    references: list[str]
    regle: str | None
    condition: str | None
    unite: str | None
    hors_taxes: bool
    a_verifier: bool
    prochaine_date: str | None = None
    prochaine_valeur: Scalar = None
    prochaines_references: list[str] = field(default_factory=list)

    @property
    def all_references(self) -> list[str]:
        """The article followed by the references of the dated value."""
        return ([self.article] if self.article else []) + self.references


@dataclass(frozen=True)
class TraceStep:
    """One variable computed (or read as input) during the run."""

    variable: str
    libelle: str
    periode: str
    valeur: Scalar
    valeur_libelle: str | None
    references: list[str]
    documentation: str | None
    entrees: dict[str, Scalar]
    entrees_libelles: dict[str, str]
    parametres: list[ParameterUse]
    a_verifier: bool


@dataclass
class TracedRun:
    """Values of the requested variables and the steps of the computation, dependencies first."""

    day: datetime.date
    values: dict[str, Scalar]
    steps: list[TraceStep]

    def step(self, variable: str) -> TraceStep:
        for candidate in self.steps:
            if candidate.variable == variable:
                return candidate
        raise KeyError(variable)

    def parameters(self) -> list[ParameterUse]:
        """Every parameter read, once each, in the order of the computation."""
        seen: dict[str, ParameterUse] = {}
        for step in self.steps:
            for use in step.parametres:
                seen.setdefault(use.parametre, use)
        return list(seen.values())


def run_traced(
    inputs: Mapping[str, Scalar],
    day: datetime.date,
    outputs: Sequence[str],
    system: LeviersLegalSystem | None = None,
) -> TracedRun:
    """Compute `outputs` on `day` for one operation of one buyer described by `inputs`."""
    system = system or legal_system()
    builder = SimulationBuilder()
    period = day.isoformat()
    builder.set_default_period(period)
    simulation = builder.build_from_variables(system, dict(inputs))
    simulation.trace = True
    values = {name: _scalar(simulation.calculate(name, period)) for name in outputs}
    steps = _steps(system, simulation.tracer.trees, day)
    return TracedRun(day=day, values=values, steps=steps)


def _steps(system: LeviersLegalSystem, trees: list[TraceNode], day: datetime.date) -> list[TraceStep]:
    steps: list[TraceStep] = []
    seen: set[str] = set()
    for node in _post_order(trees):
        # The first node of a variable is the one that computed it; later ones are cache reads.
        if node.name in seen:
            continue
        seen.add(node.name)
        steps.append(_step(system, node, day))
    return steps


def _post_order(nodes: list[TraceNode]) -> Iterator[TraceNode]:
    for node in nodes:
        yield from _post_order(node.children)
        yield node


def _step(system: LeviersLegalSystem, node: TraceNode, day: datetime.date) -> TraceStep:
    variable = system.variables[node.name]
    references = _as_list(variable.reference)
    inputs: dict[str, Scalar] = {}
    labels: dict[str, str] = {}
    for child in node.children:
        inputs[child.name] = _scalar(child.value)
        label = _enum_label(system, child.name, inputs[child.name])
        if label is not None:
            labels[child.name] = label
    uses = [_parameter_use(system, access, node, day) for access in node.parameters]
    value = _scalar(node.value)
    return TraceStep(
        variable=node.name,
        libelle=variable.label or node.name,
        periode=str(node.period),
        valeur=value,
        valeur_libelle=_enum_label(system, node.name, value),
        references=references,
        documentation=variable.documentation,
        entrees=inputs,
        entrees_libelles=labels,
        parametres=uses,
        a_verifier=is_unverified(references) or any(use.a_verifier for use in uses),
    )


def _parameter_use(
    system: LeviersLegalSystem, access: TraceNode, node: TraceNode, day: datetime.date
) -> ParameterUse:
    leaf = _resolve_leaf(system, access.name, node)
    current = None
    following = None
    # values_list is in reverse chronological order.
    for dated in leaf.values_list:
        if dated.instant_str <= day.isoformat():
            current = dated
            break
        following = dated
    if current is None:
        raise LookupError(f"{leaf.name} has no value on {day.isoformat()}")
    metadata = current.metadata
    value = _scalar(access.value)
    if value != current.value:
        raise AssertionError(f"{leaf.name}: traced value {value!r} differs from {current.value!r}")
    references = _as_list(metadata.get("reference"))
    article = metadata.get("article")
    return ParameterUse(
        parametre=leaf.name,
        libelle=leaf.description or _fallback_description(system, leaf.name),
        valeur=value,
        date_effet=current.instant_str,
        date_consultee=day.isoformat(),
        article=article,
        references=references,
        regle=metadata.get("regle"),
        condition=metadata.get("condition"),
        unite=metadata.get("unit"),
        hors_taxes=bool(metadata.get("hors_taxes", False)),
        a_verifier=is_unverified([*references, article or ""]),
        prochaine_date=following.instant_str if following is not None else None,
        prochaine_valeur=following.value if following is not None else None,
        prochaines_references=_as_list(following.metadata.get("reference")) if following is not None else [],
    )


def _resolve_leaf(system: LeviersLegalSystem, traced_name: str, node: TraceNode) -> Parameter:
    """Find the dated parameter behind a traced access.

    A rule that indexes a parameter node by a variable (`dispense[famille]`) is traced under the
    node's name only; the keys used are the values of the rule's inputs, so we walk down the node
    with the input value that names one of its children, level by level.
    """
    found: Any = system.parameters
    for part in traced_name.split("."):
        found = found.children[part]
    keys = [value for value in (_scalar(child.value) for child in node.children) if isinstance(value, str)]
    while isinstance(found, ParameterNode):
        matches = [key for key in keys if key in found.children]
        if len(matches) != 1:
            raise LookupError(f"cannot tell which child of {found.name} was read by {node.name}")
        found = found.children[matches[0]]
    if not isinstance(found, Parameter):
        raise LookupError(f"{traced_name} is not a dated parameter")
    return found


def _fallback_description(system: LeviersLegalSystem, name: str) -> str:
    parent_name, _, key = name.rpartition(".")
    parent: Any = system.parameters
    for part in parent_name.split("."):
        parent = parent.children[part]
    return f"{parent.description or parent_name} — {key}"


def _enum_label(system: LeviersLegalSystem, variable: str, value: Scalar) -> str | None:
    possible = getattr(system.variables[variable], "possible_values", None)
    if possible is None or not isinstance(value, str):
        return None
    return str(possible[value].value)


def _scalar(value: Any) -> Scalar:
    """The single value of a one-entity array, as a plain Python value."""
    if value is None:
        return None
    if isinstance(value, EnumArray):
        return str(value.decode_to_str()[0])
    if isinstance(value, numpy.ndarray):
        if value.size != 1:
            raise ValueError(f"expected one value, got {value.size}")
        value = value.reshape(-1)[0]
    if isinstance(value, numpy.bool_ | bool):
        return bool(value)
    if isinstance(value, numpy.integer):
        return int(value)
    if isinstance(value, numpy.floating):
        return float(value)
    if isinstance(value, numpy.str_ | str):
        return str(value)
    if isinstance(value, int | float):
        return value
    raise TypeError(f"unexpected traced value {value!r}")


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(item) for item in value]
