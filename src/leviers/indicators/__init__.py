"""Responsible-procurement indicators, defined once (catalogue.yaml) and run on DuckDB or Spark.

Public API, shared by the command line and the web face:

- `catalogue()`: the indicator definitions (plain data, `Indicator.to_dict()` for JSON);
- `compute(con, by=…, year=…, siren=…, engine=…)`: one long Arrow table, one row per group ×
  indicator, with the counts behind every share;
- `peers(con, siren, year)`: a collectivité's rank and percentile among its peers;
- `spaser_estimates(con, year)`: buyers whose notified amounts suggest a SPASER obligation.

See docs/indicators.md (API) and docs/method.md (definitions and counting rules).
"""

from leviers.indicators.breakdowns import DIMENSIONS, LEVELS
from leviers.indicators.catalogue import Catalogue, Indicator, catalogue
from leviers.indicators.engine import compute, output_schema
from leviers.indicators.errors import CatalogueError, IndicatorError
from leviers.indicators.peers import peers, peers_schema
from leviers.indicators.spaser import spaser_estimates

__all__ = [
    "DIMENSIONS",
    "LEVELS",
    "Catalogue",
    "CatalogueError",
    "Indicator",
    "IndicatorError",
    "catalogue",
    "compute",
    "output_schema",
    "peers",
    "peers_schema",
    "spaser_estimates",
]
