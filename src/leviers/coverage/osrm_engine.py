"""Road travel times with OSRM (PyPI `osrm-bindings`), the engine INSEE uses for its distancier.

The OpenStreetMap extract is prepared once (`osrm-extract` with the car profile shipped in the
wheel, then `osrm-contract` for contraction hierarchies) into the user cache, keyed by the
checksum of the file, the OSRM version and the profile: the same .pbf is never prepared twice.
Tables are then computed in-process, without a server. Times are free-flow (no congestion) and
start from the point of the road network nearest to each commune point.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import numpy as np

from leviers.coverage.geometry import FloatArray
from leviers.coverage.traveltime import Durations, EngineInfo
from leviers.errors import InputRefused, LeviersError
from leviers.paths import cache_dir
from leviers.progress import NoProgress, Progress

DEFAULT_MAX_SNAP_M = 5000.0
# Crow-fly speed no car trip exceeds (motorways are limited to 130 km/h): used to skip pairs.
MAX_CROW_SPEED_KMH = 150.0
_READY_MARK = "pret.json"
_TABLE_CELLS = 1_000_000  # per Table call: bounds memory of the JSON-like result


class RoutingError(LeviersError):
    """OSRM could not answer for a reason that is not the user's file."""


def _profile_dir() -> Path:
    import osrm

    return Path(osrm.__file__).resolve().parent / "share" / "profiles"


def _file_digest(path: Path, progress: Progress) -> str:
    digest = hashlib.sha256()
    progress.start(f"Empreinte de {path.name}", total=path.stat().st_size)
    with path.open("rb") as handle:
        while block := handle.read(1 << 22):
            digest.update(block)
            progress.advance(len(block))
    progress.finish()
    return digest.hexdigest()


def _check_pbf(pbf: Path) -> None:
    if not pbf.exists():
        raise InputRefused(str(pbf), "fichier introuvable")
    if not pbf.is_file():
        raise InputRefused(str(pbf), "ce n'est pas un fichier")
    if not pbf.name.lower().endswith(".pbf"):
        raise InputRefused(str(pbf), "un extrait OpenStreetMap au format .osm.pbf est attendu")
    try:
        with pbf.open("rb") as handle:
            head = handle.read(64)
    except OSError as exc:
        raise InputRefused(str(pbf), f"fichier illisible ({exc.strerror})") from None
    # A PBF file starts with a 4-byte header length then a BlobHeader whose type is "OSMHeader".
    if b"OSMHeader" not in head:
        raise InputRefused(str(pbf), "ce n'est pas un extrait OpenStreetMap .pbf (en-tête OSMHeader absent)")


def _osrm_version() -> str:
    try:
        return metadata.version("osrm-bindings")
    except metadata.PackageNotFoundError:  # pragma: no cover - the dependency is locked
        return "inconnue"


def _run(tool: str, args: list[str], pbf: Path, log: Path) -> None:
    cmd = [sys.executable, "-m", "osrm", tool, *args]
    with log.open("ab") as out:
        proc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, check=False)
    if proc.returncode != 0:
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
        errors = [ln for ln in lines if "error" in ln.lower() or "what():" in ln]
        cause = (errors or lines or ["aucun message"])[-1].strip()
        raise InputRefused(str(pbf), f"OSRM ({tool}) n'a pas pu préparer le réseau routier : {cause}")


def prepare_network(pbf: Path, progress: Progress = NoProgress()) -> Path:  # noqa: B008
    """Base path of the contracted OSRM network of `pbf`, built once into the cache."""
    pbf = Path(pbf)
    _check_pbf(pbf)
    profile = _profile_dir() / "car.lua"
    version = _osrm_version()
    file_sha = _file_digest(pbf, progress)
    key = hashlib.sha256(
        f"{file_sha}|{version}|{hashlib.sha256(profile.read_bytes()).hexdigest()}".encode()
    ).hexdigest()[:24]
    root = cache_dir() / "osrm"
    final = root / key
    base_name = "reseau.osrm"
    if (final / _READY_MARK).is_file():
        return final / base_name

    root.mkdir(parents=True, exist_ok=True)
    work = root / f"{key}.tmp-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    log = work / "osrm.log"
    threads = str(max(1, os.cpu_count() or 1))
    try:
        progress.start(f"Extraction du réseau routier de {pbf.name} (OSRM, profil voiture)", unit="étapes")
        _run(
            "extract",
            ["-p", str(profile), "-t", threads, "-o", str(work / base_name), str(pbf.resolve())],
            pbf,
            log,
        )
        progress.finish()
        progress.start("Contraction du réseau (OSRM)", unit="étapes")
        _run("contract", ["-t", threads, str(work / base_name)], pbf, log)
        progress.finish()
        (work / _READY_MARK).write_text(
            json.dumps(
                {
                    "pbf": str(pbf.resolve()),
                    "sha256": file_sha,
                    "osrm_bindings": version,
                    "profil": "car.lua",
                    "prepare_le": datetime.now(UTC).isoformat(timespec="seconds"),
                },
                ensure_ascii=False,
            ),
            encoding="utf-8",
        )
        try:
            work.rename(final)
        except OSError:
            # Another process prepared the same file meanwhile: keep its copy.
            if not (final / _READY_MARK).is_file():
                raise
    finally:
        progress.finish()
        shutil.rmtree(work, ignore_errors=True)
    return final / base_name


class OsrmEngine:
    """Car travel times by OSRM (contraction hierarchies) on a user-given OpenStreetMap extract."""

    def __init__(
        self,
        pbf: Path,
        progress: Progress = NoProgress(),  # noqa: B008
        max_snap_m: float = DEFAULT_MAX_SNAP_M,
    ) -> None:
        import osrm

        self.pbf = Path(pbf)
        self.max_snap_m = float(max_snap_m)
        self.base = prepare_network(self.pbf, progress)
        try:
            self._engine = osrm.OSRM(storage_config=str(self.base), algorithm="CH", use_shared_memory=False)
        except RuntimeError as exc:
            raise RoutingError(
                f"OSRM n'a pas pu ouvrir le réseau préparé dans {self.base.parent} ({exc}) ; "
                "supprimez ce dossier pour qu'il soit reconstruit."
            ) from None

    @property
    def info(self) -> EngineInfo:
        return EngineInfo(
            kind="osrm",
            is_estimate=False,
            label=(
                f"Temps de trajet routier OSRM (profil voiture, sans congestion) sur {self.pbf.name}, "
                "depuis la route la plus proche de chaque point"
            ),
            parameters={
                "pbf": self.pbf.name,
                "osrm_bindings": _osrm_version(),
                "profil": "car.lua",
                "accroche_max_m": self.max_snap_m,
            },
        )

    @property
    def max_crow_speed_kmh(self) -> float:
        return MAX_CROW_SPEED_KMH

    def durations(
        self,
        src_lon: FloatArray,
        src_lat: FloatArray,
        dst_lon: FloatArray,
        dst_lat: FloatArray,
        progress: Progress = NoProgress(),  # noqa: B008
    ) -> Durations:
        n_src, n_dst = len(src_lon), len(dst_lon)
        minutes = np.full((n_src, n_dst), np.nan)
        src_snap = np.full(n_src, np.nan)
        dst_snap = np.full(n_dst, np.nan)
        if n_src == 0 or n_dst == 0:
            return Durations(minutes, src_snap, dst_snap)
        step = max(1, _TABLE_CELLS // n_dst)
        dst_coords = [(float(x), float(y)) for x, y in zip(dst_lon, dst_lat, strict=True)]
        progress.start("Temps de trajet routiers (OSRM)", total=n_src, unit="communes")
        for start in range(0, n_src, step):
            stop = min(n_src, start + step)
            src_coords = [
                (float(x), float(y)) for x, y in zip(src_lon[start:stop], src_lat[start:stop], strict=True)
            ]
            table = self._table(src_coords, dst_coords)
            block = np.array(table["durations"], dtype=np.float64) / 60.0
            minutes[start:stop] = block
            src_snap[start:stop] = [w["distance"] for w in table["sources"]]
            if start == 0:
                dst_snap[:] = [w["distance"] for w in table["destinations"]]
            progress.advance(stop - start)
        progress.finish()
        # A point this far from any road of the extract lies outside it: its time is unknown.
        minutes[src_snap > self.max_snap_m, :] = np.nan
        minutes[:, dst_snap > self.max_snap_m] = np.nan
        return Durations(minutes, src_snap, dst_snap)

    def _table(self, sources: list[tuple[float, float]], destinations: list[tuple[float, float]]):  # type: ignore[no-untyped-def]
        import osrm

        n = len(sources)
        params = osrm.TableParameters(
            coordinates=sources + destinations,
            sources=list(range(n)),
            destinations=list(range(n, n + len(destinations))),
            annotations=["duration"],
        )
        try:
            result = self._engine.Table(params)
        except RuntimeError as exc:
            raise RoutingError(f"OSRM a refusé la requête de table de temps : {exc}") from None
        with contextlib.suppress(KeyError, TypeError):
            if result["code"] != "Ok":
                raise RoutingError(f"OSRM a répondu {result['code']} à la requête de table de temps.")
        return result
