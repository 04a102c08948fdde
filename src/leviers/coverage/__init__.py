"""Territorial coverage: who is more than N minutes from a site, and where new sites would help.

Layers, each usable on its own:
- `communes`: commune reference points and population of a région (demand);
- `sites`, `placement`: site lists (CSV/GeoJSON) and where they lie with respect to the région;
- `traveltime`, `osrm_engine`: travel times (documented estimate, or OSRM on an OSM extract);
- `analysis`: per-commune time to the nearest site, coverage status, white zones, aggregates;
- `location`, `siting`: maximal covering and set covering on a sparse model (HiGHS + greedy);
- `study`, `geojson`: one call returning plain serialisable results, and the map layer.
"""

from leviers.coverage.analysis import CoverageAnalysis, analyse_coverage
from leviers.coverage.communes import Communes, region_communes
from leviers.coverage.sites import SiteList, bundled_sites, read_sites
from leviers.coverage.study import CoverageStudy, run_study
from leviers.coverage.traveltime import EstimateEngine

__all__ = [
    "Communes",
    "CoverageAnalysis",
    "CoverageStudy",
    "EstimateEngine",
    "SiteList",
    "analyse_coverage",
    "bundled_sites",
    "read_sites",
    "region_communes",
    "run_study",
]
