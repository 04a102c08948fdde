"""Coverage of a région's communes by a network of sites at a time threshold.

Per commune: time from its reference point to the nearest site, which site, and a status:
- "couverte": a site is reachable within the threshold;
- "non couverte": every site with a known time is beyond the threshold, and no site with an
  unknown time is close enough to possibly be within it;
- "inconnue": the commune has no reference point, its point is off the road network, or a site
  that might be within the threshold has no known time from it. Unknown is never counted as
  covered nor as uncovered.

Sites outside the région are used when they reach at least one commune of the région within the
threshold (they legitimately cover border communes) and are all listed in the report.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np

from leviers.coverage.communes import Communes
from leviers.coverage.geometry import FloatArray, IntArray, haversine_matrix_km
from leviers.coverage.placement import SitePlacement, place_sites
from leviers.coverage.sites import SiteList
from leviers.coverage.traveltime import Durations, TravelTimeEngine
from leviers.progress import NoProgress, Progress

DEFAULT_THRESHOLD_MIN = 20.0

COVERED = "couverte"
UNCOVERED = "non couverte"
UNKNOWN = "inconnue"

NO_POINT = "pas de point de référence pour cette commune"
OFF_NETWORK = "point de la commune hors du réseau routier"
NO_TIME = "temps inconnu vers un site proche"


@dataclass(frozen=True)
class CoverageAnalysis:
    communes: Communes
    site_list: SiteList
    placement: SitePlacement
    engine_info: dict[str, Any]
    threshold_min: float
    used: IntArray  # indices (into placement.sites) of the sites whose times were computed
    times: np.ndarray[Any, np.dtype[np.float64]]  # (communes, used sites) minutes, NaN unknown
    nearest_min: FloatArray  # per commune, NaN if unknown
    nearest_site: IntArray  # per commune, index into `used`, -1 if none
    status: list[str]
    unknown_reason: list[str | None]

    # ----- figures -------------------------------------------------------------------------
    def _pop(self, mask: np.ndarray[Any, Any]) -> int:
        pop = self.communes.population[mask]
        return int(np.nansum(pop))

    def status_array(self) -> np.ndarray[Any, Any]:
        return np.array(self.status)

    def summary(self) -> dict[str, Any]:
        st = self.status_array()
        pop_unknown = int(np.isnan(self.communes.population).sum())
        known = st != UNKNOWN
        covered_pop = self._pop(st == COVERED)
        known_pop = self._pop(known)
        return {
            "communes": len(self.communes),
            "population": self._pop(np.ones(len(st), dtype=bool)),
            "communes_sans_population_connue": pop_unknown,
            "couvertes": {"communes": int((st == COVERED).sum()), "population": covered_pop},
            "non_couvertes": {
                "communes": int((st == UNCOVERED).sum()),
                "population": self._pop(st == UNCOVERED),
            },
            "inconnues": {"communes": int((st == UNKNOWN).sum()), "population": self._pop(st == UNKNOWN)},
            # Shares are over the population whose status is known.
            "part_population_couverte": round(covered_pop / known_pop, 6) if known_pop else None,
            "temps_median_min": _round(float(np.nanmedian(self.nearest_min)))
            if np.isfinite(self.nearest_min).any()
            else None,
            "temps_median_pondere_min": _weighted_median(self.nearest_min, self.communes.population),
        }

    def by_area(self, level: str) -> list[dict[str, Any]]:
        """Uncovered communes and population per département ("departement") or EPCI ("epci")."""
        keys = self.communes.departement if level == "departement" else self.communes.epci
        names = self.communes.departement_noms if level == "departement" else self.communes.epci_noms
        groups: dict[str | None, list[int]] = defaultdict(list)
        for i, key in enumerate(keys):
            groups[key].append(i)
        st = self.status_array()
        rows: list[dict[str, Any]] = []
        for key, members in groups.items():
            m = np.zeros(len(st), dtype=bool)
            m[members] = True
            pop = self._pop(m)
            known_pop = self._pop(m & (st != UNKNOWN))
            uncovered_pop = self._pop(m & (st == UNCOVERED))
            rows.append(
                {
                    "code": key,
                    "nom": names.get(key, key) if key else "commune hors EPCI",
                    "communes": len(members),
                    "population": pop,
                    "communes_non_couvertes": int((m & (st == UNCOVERED)).sum()),
                    "population_non_couverte": uncovered_pop,
                    "communes_inconnues": int((m & (st == UNKNOWN)).sum()),
                    "part_population_non_couverte": round(uncovered_pop / known_pop, 6)
                    if known_pop
                    else None,
                }
            )
        rows.sort(key=lambda r: (-int(r["population_non_couverte"]), str(r["code"])))
        return rows

    def commune_rows(self) -> list[dict[str, Any]]:
        rows = []
        for i in range(len(self.communes)):
            row = self.communes.row(i)
            j = int(self.nearest_site[i])
            site = self.placement.sites[int(self.used[j])] if j >= 0 else None
            row.update(
                {
                    "temps_min": _round(self.nearest_min[i]),
                    "site_id": site.id if site else None,
                    "site_nom": site.nom if site else None,
                    "statut": self.status[i],
                    "cause_inconnue": self.unknown_reason[i],
                }
            )
            rows.append(row)
        return rows

    def white_zones(self) -> list[dict[str, Any]]:
        """Uncovered communes, most populated first."""
        rows = [r for r in self.commune_rows() if r["statut"] == UNCOVERED]
        rows.sort(key=lambda r: (-(r["population"] or 0), r["code"]))
        return rows

    def sites_report(self) -> dict[str, Any]:
        p = self.placement
        used = set(self.used.tolist())
        covering = self._communes_within_per_site()
        inside = []
        outside = []
        for i, site in enumerate(p.sites):
            row = site.to_dict()
            row.update({"commune": p.commune[i], "localisation": p.method[i]})
            if p.in_region[i]:
                inside.append(row)
                continue
            n = covering.get(i, 0)
            row.update(
                {
                    "region_commune_proche": p.commune_region[i],
                    "distance_region_km": _round(p.km_to_region[i]),
                    "retenu": i in used and n > 0,
                    "communes_de_la_region_a_portee": n,
                }
            )
            outside.append(row)
        outside.sort(key=lambda r: (r["distance_region_km"], r["id"]))
        return {
            **self.site_list.describe(),
            "dans_la_region": len(inside),
            "hors_region": len(outside),
            "hors_region_retenus": sum(1 for r in outside if r["retenu"]),
            "sites": inside,
            "sites_hors_region": outside,
        }

    def _communes_within_per_site(self) -> dict[int, int]:
        within = (self.times <= self.threshold_min).sum(axis=0)
        return {int(self.used[j]): int(within[j]) for j in range(len(self.used))}

    def to_dict(self) -> dict[str, Any]:
        return {
            "region": {"code": self.communes.region, "nom": self.communes.region_nom},
            "seuil_min": self.threshold_min,
            "temps": self.engine_info,
            "points_communes": self.communes.point_method,
            "synthese": self.summary(),
            "par_departement": self.by_area("departement"),
            "par_epci": self.by_area("epci"),
            "zones_blanches": self.white_zones(),
            "communes": self.commune_rows(),
            "sites": self.sites_report(),
        }


def _round(x: float) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), 2)


def _weighted_median(values: FloatArray, weights: FloatArray) -> float | None:
    ok = np.isfinite(values) & np.isfinite(weights) & (weights > 0)
    if not ok.any():
        return None
    v, w = values[ok], weights[ok]
    order = np.argsort(v, kind="stable")
    cum = np.cumsum(w[order])
    return _round(float(v[order][np.searchsorted(cum, cum[-1] / 2)]))


def analyse_coverage(
    communes: Communes,
    site_list: SiteList,
    engine: TravelTimeEngine,
    threshold_min: float = DEFAULT_THRESHOLD_MIN,
    progress: Progress = NoProgress(),  # noqa: B008
) -> CoverageAnalysis:
    """Time from every commune of the région to its nearest site, and the coverage status."""
    if not threshold_min > 0:
        from leviers.errors import LeviersError

        raise LeviersError(f"seuil de {threshold_min} min invalide : il doit être positif.")
    placement = place_sites(site_list.sites, communes)
    reach_km = threshold_min / 60.0 * engine.max_crow_speed_kmh
    # Sites in the région are all used; others only if they might reach the région in time.
    used = np.flatnonzero(placement.in_region | (placement.km_to_region <= reach_km)).astype(np.int64)
    has_point = np.isfinite(communes.lon) & np.isfinite(communes.lat)
    rows = np.flatnonzero(has_point)
    n = len(communes)
    times = np.full((n, len(used)), np.nan)
    if len(used) and len(rows):
        d: Durations = engine.durations(
            communes.lon[rows], communes.lat[rows], placement.lon[used], placement.lat[used], progress
        )
        times[rows] = d.minutes
    nearest_min = np.full(n, np.nan)
    nearest_site = np.full(n, -1, dtype=np.int64)
    if len(used):
        filled = np.where(np.isnan(times), np.inf, times)
        best = filled.argmin(axis=1)
        best_min = filled[np.arange(n), best]
        known = np.isfinite(best_min)
        nearest_min[known] = best_min[known]
        nearest_site[known] = best[known]

    # A site with no known time from a commune but close enough as the crow flies leaves its
    # status open.
    crow = haversine_matrix_km(communes.lon, communes.lat, placement.lon[used], placement.lat[used])
    undecided = (np.isnan(times) & (crow <= reach_km)).any(axis=1)

    status: list[str] = []
    reasons: list[str | None] = []
    for i in range(n):
        if not has_point[i]:
            status.append(UNKNOWN)
            reasons.append(NO_POINT)
        elif np.isfinite(nearest_min[i]) and nearest_min[i] <= threshold_min:
            status.append(COVERED)
            reasons.append(None)
        elif undecided[i]:
            status.append(UNKNOWN)
            reasons.append(OFF_NETWORK if np.isnan(times[i]).all() else NO_TIME)
        else:
            status.append(UNCOVERED)
            reasons.append(None)
    return CoverageAnalysis(
        communes=communes,
        site_list=site_list,
        placement=placement,
        engine_info=engine.info.to_dict(),
        threshold_min=float(threshold_min),
        used=used,
        times=times,
        nearest_min=nearest_min,
        nearest_site=nearest_site,
        status=status,
        unknown_reason=reasons,
    )
