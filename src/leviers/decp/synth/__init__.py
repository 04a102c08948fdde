"""Synthetic national-scale DECP, marked synthetic everywhere (`leviers synth decp`).

Deterministic (same options → same bytes), calibrated on the official figures (see
docs/synth.md), in the 2024 JSON format or as the national consolidated table.

API: `generate_decp(Options(contracts=N, seed=S, …), out, fmt, progress)` → `SynthReport`.
Marking convention: every `objet` starts with « [SYNTHÉTIQUE] », contract ids with « SYN »;
the JSON root has `"leviers": {"synthetique": true, …}`; consolidated rows have
`sourceDataset = "leviers-synthetique"`.
"""

from leviers.decp.synth.batch import INVALID_KINDS, Options
from leviers.decp.synth.consolidated import SOURCE_DATASET
from leviers.decp.synth.generator import FORMATS, SynthError, SynthReport, default_output, generate_decp
from leviers.decp.synth.json2024 import GENERATOR, SYNTH_PREFIX

__all__ = [
    "FORMATS",
    "GENERATOR",
    "INVALID_KINDS",
    "SOURCE_DATASET",
    "SYNTH_PREFIX",
    "Options",
    "SynthError",
    "SynthReport",
    "default_output",
    "generate_decp",
]
