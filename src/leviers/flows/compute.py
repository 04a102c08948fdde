"""Money that reaches the ESS, per collectivité (buyer or grantor SIREN) and year.

The figures are the indicator catalogue's (leviers.indicators), computed by its engine at the
level of the legal unit: `subsidies` and `subsidies_ess` (subsidy lines, by the grantor),
`contracts` and `ess_suppliers` (initial contracts shared between their initial suppliers, by the
buyer), and `money_ess`, both channels added up by amount. The command line, the web pages and
`leviers indicateurs` therefore give the same figure for the same collectivité and year.

A channel without any row for a collectivité and year is unknown (None), never zero; the sum of
both channels exists only where both have data. A share is quoted only on a sufficient base
(leviers.indicators.base); aberrant amounts are set aside and counted (60_amounts.sql).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb

from leviers.flows.definitions import CAVEATS
from leviers.indicators import catalogue, compute
from leviers.indicators.base import RULE_TEXT

INDICATORS = ("contracts", "ess_suppliers", "subsidies", "subsidies_ess", "money_ess")


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole > 0 else None


@dataclass
class Channel:
    """One channel (subsidies or procurement) of one collectivité and year."""

    nombre: int  # subsidy lines, or initial contracts
    montant: float  # sum of the amounts counted (aberrant ones set aside), €
    montant_inconnu_nombre: int  # lines or contracts published without an amount
    montants_ecartes: int  # lines or contracts whose aberrant amount is set aside
    ess: float  # lines to ESS beneficiaries, or contract shares of ESS suppliers
    connus: float  # lines or contract shares whose ESS status is known
    inconnus: float
    ess_montant: float
    connu_montant: float
    inconnu_montant: float
    part_ess: float | None  # by number, among known
    part_ess_montant: float | None  # by amount, among known
    suffisant: bool  # the share by number may be quoted (base rule)
    suffisant_montant: bool
    synthetic: bool = False

    @property
    def part_inconnue_montant(self) -> float | None:
        return _ratio(self.inconnu_montant, self.connu_montant + self.inconnu_montant)

    @classmethod
    def from_rows(cls, volume: dict[str, Any], share: dict[str, Any] | None) -> Channel:
        share = share or {}
        return cls(
            nombre=int(volume["population"] or 0),
            montant=float(volume["value_amount"] or 0.0),
            montant_inconnu_nombre=int(volume["amount_missing"] or 0),
            montants_ecartes=int(volume["amount_set_aside"] or 0),
            ess=float(share.get("numerator") or 0.0),
            connus=float(share.get("denominator") or 0.0),
            inconnus=float(share.get("unknown") or 0.0),
            ess_montant=float(share.get("amount_numerator") or 0.0),
            connu_montant=float(share.get("amount_denominator") or 0.0),
            inconnu_montant=float(share.get("amount_unknown") or 0.0),
            part_ess=share.get("value_count"),
            part_ess_montant=share.get("value_amount"),
            suffisant=bool(share.get("sufficient_count")),
            suffisant_montant=bool(share.get("sufficient_amount")),
            synthetic=bool(volume["synthetic"]),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "nombre": self.nombre,
            "montant": self.montant,
            "montant_inconnu_nombre": self.montant_inconnu_nombre,
            "montants_ecartes": self.montants_ecartes,
            "ess": self.ess,
            "connus": self.connus,
            "inconnus": self.inconnus,
            "ess_montant": self.ess_montant,
            "connu_montant": self.connu_montant,
            "inconnu_montant": self.inconnu_montant,
            "part_ess": self.part_ess,
            "part_ess_montant": self.part_ess_montant,
            "part_inconnue_montant": self.part_inconnue_montant,
            "suffisant": self.suffisant,
            "suffisant_montant": self.suffisant_montant,
        }


@dataclass
class Money:
    """Both channels added up by amount (indicator money_ess)."""

    ess_montant: float
    connu_montant: float
    inconnu_montant: float
    part_ess_montant: float | None
    suffisant_montant: bool
    montants_ecartes: int

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Money:
        return cls(
            ess_montant=float(row["amount_numerator"] or 0.0),
            connu_montant=float(row["amount_denominator"] or 0.0),
            inconnu_montant=float(row["amount_unknown"] or 0.0),
            part_ess_montant=row["value_amount"],
            suffisant_montant=bool(row["sufficient_amount"]),
            montants_ecartes=int(row["amount_set_aside"] or 0),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "ess_montant": self.ess_montant,
            "connu_montant": self.connu_montant,
            "inconnu_montant": self.inconnu_montant,
            "part_ess_montant": self.part_ess_montant,
            "part_inconnue_montant": _ratio(self.inconnu_montant, self.connu_montant + self.inconnu_montant),
            "suffisant_montant": self.suffisant_montant,
            "montants_ecartes": self.montants_ecartes,
        }


@dataclass
class EssFlow:
    siren: str | None  # None: the nation
    annee: int
    nom: str | None
    subventions: Channel | None
    marches: Channel | None
    argent: Money | None  # None unless both channels have data

    @property
    def canaux(self) -> list[str]:
        return [
            name
            for name, c in (("subventions", self.subventions), ("marchés", self.marches))
            if c is not None
        ]

    @property
    def synthetic(self) -> bool:
        return any(c is not None and c.synthetic for c in (self.subventions, self.marches))

    @property
    def total_montant(self) -> float:
        return sum(c.montant for c in (self.subventions, self.marches) if c is not None)

    def to_json(self) -> dict[str, Any]:
        return {
            "siren": self.siren,
            "annee": self.annee,
            "nom": self.nom,
            "canaux": self.canaux,
            "subventions": None if self.subventions is None else self.subventions.to_json(),
            "marches": None if self.marches is None else self.marches.to_json(),
            "argent_ess": None if self.argent is None else self.argent.to_json(),
            "donnees_synthetiques": self.synthetic,
        }


@dataclass
class FlowReport:
    flows: list[EssFlow]
    sources: dict[str, bool]  # which inputs the warehouse holds
    caveats: list[str] = field(default_factory=lambda: list(CAVEATS))

    @staticmethod
    def definitions() -> dict[str, str]:
        """The catalogue's definitions of the figures (French)."""
        cat = catalogue()
        return {i: cat.get(i).definition for i in INDICATORS}

    def to_json(self) -> dict[str, Any]:
        return {
            "flux": [f.to_json() for f in self.flows],
            "sources": self.sources,
            "definitions": self.definitions(),
            "regle_de_base": RULE_TEXT,
            "avertissements": self.caveats,
        }


def flows_from_rows(rows: list[dict[str, Any]]) -> list[EssFlow]:
    """EssFlow objects from indicator rows (compute() or the web's stored rows) of INDICATORS,
    grouped by code (SIREN) and year; rows of unknown year are left out."""
    grouped: dict[tuple[str | None, int], dict[str, dict[str, Any]]] = {}
    labels: dict[str | None, str | None] = {}
    for row in rows:
        if row["year"] is None or row["indicator"] not in INDICATORS:
            continue
        code = row.get("code")  # None for the nation: JSON null, never « None »
        code = None if code is None else str(code)
        grouped.setdefault((code, int(row["year"])), {})[row["indicator"]] = row
        labels.setdefault(code, row.get("label"))
    flows = []
    for (code, year), found in grouped.items():
        sub = found.get("subsidies")
        pro = found.get("contracts")
        money = found.get("money_ess")
        flows.append(
            EssFlow(
                siren=code,
                annee=year,
                nom=labels.get(code),
                subventions=Channel.from_rows(sub, found.get("subsidies_ess")) if sub else None,
                marches=Channel.from_rows(pro, found.get("ess_suppliers")) if pro else None,
                argent=Money.from_row(money) if money else None,
            )
        )
    flows.sort(key=lambda f: (-f.total_montant, f.siren, f.annee))
    return flows


def ess_flows(
    con: duckdb.DuckDBPyConnection, *, siren: str | None = None, annee: int | None = None
) -> FlowReport:
    """The money to the ESS of every legal unit that buys or grants, per year (or of `siren`,
    `annee` only), from the indicator engine."""
    table = compute(con, by="unite_legale", siren=siren, year=annee, indicators=list(INDICATORS))
    flows = flows_from_rows(table.to_pylist())
    return FlowReport(flows, sources(con))


def sources(con: duckdb.DuckDBPyConnection) -> dict[str, bool]:
    """Which inputs the warehouse holds (each tells what a figure can say)."""

    def present(sql: str) -> bool:
        return bool(con.execute(sql).fetchall())

    return {
        "marches": present("SELECT 1 FROM contracts LIMIT 1"),
        "subventions": present("SELECT 1 FROM subsidies LIMIT 1"),
        "sirene": present("SELECT 1 FROM legal_units LIMIT 1"),
        "listes_ess": present("SELECT 1 FROM ess_list_entries LIMIT 1"),
    }
