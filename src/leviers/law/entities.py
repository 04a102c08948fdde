"""OpenFisca entities of the legal model: an operation contemplated by a buyer.

OpenFisca needs exactly one "person" entity. Ours is the *operation*: one purchase, partnership or
action that a buyer (or collectivité) is considering. The *buyer* groups its operations, so that
buyer-level facts (kind of buyer, level of collectivité, annual purchases) are stated once and
projected onto each operation.
"""

from __future__ import annotations

from openfisca_core.entities import build_entity

Operation = build_entity(
    key="operation",
    plural="operations",
    label="Opération envisagée : un achat, un partenariat ou une action de la collectivité",
    doc="Un achat (marché public), un partenariat avec un organisme (subvention, DSP, mandat SIEG) "
    "ou une action de soutien dont on cherche le régime juridique.",
    is_person=True,
)

Acheteur = build_entity(
    key="acheteur",
    plural="acheteurs",
    label="Acheteur public ou collectivité qui envisage les opérations",
    doc="L'acheteur au sens du code de la commande publique, ou la collectivité territoriale "
    "pour les questions de compétence.",
    roles=[{"key": "operation", "plural": "operations", "label": "Opération de l'acheteur"}],
)

ENTITIES = [Operation, Acheteur]
