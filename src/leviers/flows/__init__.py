"""Money that reaches the ESS per collectivité and year: subsidies, procurement, and both together."""

from leviers.flows.compute import Channel, EssFlow, Family, FlowReport, ess_flows

__all__ = ["Channel", "EssFlow", "Family", "FlowReport", "ess_flows"]
