"""Money that reaches the ESS per collectivité and year: subsidies, procurement, and both together."""

from leviers.flows.breakdowns import Family, beneficiaries, coverage, families, suppliers
from leviers.flows.compute import INDICATORS, Channel, EssFlow, FlowReport, Money, ess_flows, flows_from_rows

__all__ = [
    "INDICATORS",
    "Channel",
    "EssFlow",
    "Family",
    "FlowReport",
    "Money",
    "beneficiaries",
    "coverage",
    "ess_flows",
    "families",
    "flows_from_rows",
    "suppliers",
]
