"""Travel times by car, one interface and two engines.

- `EstimateEngine`: great-circle distance × detour factor ÷ speed (defaults 1.3 and 60 km/h). It
  needs no data and is an *estimate*, labelled as such wherever a time computed by it is shown.
- `leviers.coverage.osrm_engine.OsrmEngine`: road times computed by OSRM on an OpenStreetMap
  extract given by the user.

Both return minutes, with NaN where no time is known (point too far from the road network,
no road route). Unknown stays unknown: it is never read as "far" nor as "near".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from leviers.coverage.geometry import FloatArray, IntArray, haversine_matrix_km
from leviers.errors import LeviersError
from leviers.progress import NoProgress, Progress

DEFAULT_DETOUR = 1.3
DEFAULT_SPEED_KMH = 60.0


@dataclass(frozen=True)
class EngineInfo:
    """What produced the times; `label` is the French text shown beside every time."""

    kind: str  # "estimation" or "osrm"
    is_estimate: bool
    label: str
    parameters: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "moteur": self.kind,
            "estimation": self.is_estimate,
            "libelle": self.label,
            "parametres": dict(self.parameters),
        }


@dataclass(frozen=True)
class Durations:
    """Times in minutes from each source to each destination (NaN: unknown).

    `source_snap_m`/`dest_snap_m` give how far each point is from where the engine placed it on
    the road network (0 for the estimate); points farther than the engine's limit have no time.
    """

    minutes: np.ndarray[Any, np.dtype[np.float64]]
    source_snap_m: FloatArray
    dest_snap_m: FloatArray


class TravelTimeEngine(Protocol):
    @property
    def info(self) -> EngineInfo: ...

    @property
    def max_crow_speed_kmh(self) -> float:
        """No trip is faster than this as the crow flies: pairs farther apart can be skipped."""
        ...

    def durations(
        self,
        src_lon: FloatArray,
        src_lat: FloatArray,
        dst_lon: FloatArray,
        dst_lat: FloatArray,
        progress: Progress = ...,
    ) -> Durations: ...


class EstimateEngine:
    """Great-circle distance × detour ÷ speed: a documented estimate, not a road time."""

    def __init__(self, detour: float = DEFAULT_DETOUR, speed_kmh: float = DEFAULT_SPEED_KMH) -> None:
        if not (detour >= 1.0 and np.isfinite(detour)):
            raise LeviersError(f"facteur de détour {detour} invalide : il doit être supérieur ou égal à 1.")
        if not (speed_kmh > 0 and np.isfinite(speed_kmh)):
            raise LeviersError(f"vitesse {speed_kmh} km/h invalide : elle doit être positive.")
        self.detour = float(detour)
        self.speed_kmh = float(speed_kmh)

    @property
    def info(self) -> EngineInfo:
        detour = f"{self.detour:g}".replace(".", ",")
        speed = f"{self.speed_kmh:g}".replace(".", ",")
        return EngineInfo(
            kind="estimation",
            is_estimate=True,
            label=(
                f"Estimation : distance à vol d'oiseau × {detour} ÷ {speed} km/h "
                "(pas un temps de trajet routier)"
            ),
            parameters={"facteur_detour": self.detour, "vitesse_kmh": self.speed_kmh},
        )

    @property
    def max_crow_speed_kmh(self) -> float:
        return self.speed_kmh / self.detour

    def minutes_per_km(self) -> float:
        return self.detour / self.speed_kmh * 60.0

    def durations(
        self,
        src_lon: FloatArray,
        src_lat: FloatArray,
        dst_lon: FloatArray,
        dst_lat: FloatArray,
        progress: Progress = NoProgress(),  # noqa: B008 - stateless sink
    ) -> Durations:
        km = haversine_matrix_km(src_lon, src_lat, dst_lon, dst_lat)
        return Durations(
            minutes=km * self.minutes_per_km(),
            source_snap_m=np.zeros(len(src_lon)),
            dest_snap_m=np.zeros(len(dst_lon)),
        )


@dataclass(frozen=True)
class Pairs:
    """Sparse (source, destination, minutes) triples with minutes ≤ the limit asked for."""

    src: IntArray
    dst: IntArray
    minutes: FloatArray
    n_src: int
    n_dst: int

    def __len__(self) -> int:
        return len(self.src)


def spatial_order(lon: FloatArray, lat: FloatArray, cell_deg: float = 0.25) -> IntArray:
    """Indices sorted by grid cell (rows of cells, snake order) so that chunks are compact."""
    row = np.floor(lat / cell_deg).astype(np.int64)
    col = np.floor(lon / cell_deg).astype(np.int64)
    col = np.where(row % 2 == 0, col, -col)
    return np.lexsort((col, row)).astype(np.int64)


def pairs_within(
    engine: TravelTimeEngine,
    src_lon: FloatArray,
    src_lat: FloatArray,
    dst_lon: FloatArray,
    dst_lat: FloatArray,
    max_minutes: float,
    progress: Progress = NoProgress(),  # noqa: B008 - stateless sink
    chunk: int = 256,
) -> Pairs:
    """Every (source, destination) pair with a known time ≤ max_minutes.

    Sources are processed in spatially compact chunks, and for each chunk only destinations close
    enough as the crow flies (at the engine's maximal speed) are sent to the engine.
    """
    n_src, n_dst = len(src_lon), len(dst_lon)
    reach_km = max_minutes / 60.0 * engine.max_crow_speed_kmh
    order = spatial_order(src_lon, src_lat)
    out_src: list[IntArray] = []
    out_dst: list[IntArray] = []
    out_min: list[FloatArray] = []
    progress.start("Temps de trajet (paires sous le seuil)", total=n_src, unit="communes")
    for start in range(0, n_src, chunk):
        rows = order[start : start + chunk]
        crow = haversine_matrix_km(src_lon[rows], src_lat[rows], dst_lon, dst_lat)
        cols = np.flatnonzero((crow <= reach_km * (1 + 1e-9)).any(axis=0))
        if len(cols):
            d = engine.durations(src_lon[rows], src_lat[rows], dst_lon[cols], dst_lat[cols])
            r, c = np.nonzero(d.minutes <= max_minutes)
            out_src.append(rows[r])
            out_dst.append(cols[c])
            out_min.append(d.minutes[r, c])
        progress.advance(len(rows))
    progress.finish()
    if out_src:
        src = np.concatenate(out_src)
        dst = np.concatenate(out_dst)
        mins = np.concatenate(out_min)
    else:
        src = np.empty(0, dtype=np.int64)
        dst = np.empty(0, dtype=np.int64)
        mins = np.empty(0, dtype=np.float64)
    sort = np.lexsort((dst, src))
    return Pairs(src[sort], dst[sort], mins[sort], n_src, n_dst)
