"""Peers: a collectivité's rank and percentile among collectivités of the same type and population band."""

from __future__ import annotations

from typing import Any

import duckdb
import narwhals as nw
import pyarrow as pa
import pyarrow.compute as pc

from leviers.indicators import breakdowns
from leviers.indicators.catalogue import catalogue
from leviers.indicators.engine import Request, open_frames, output_schema, run
from leviers.indicators.errors import IndicatorError
from leviers.indicators.sources import Frames

PEER_FIELDS = [
    ("peer_group", pa.string()),
    ("peer_band", pa.string()),
    ("peer_band_label", pa.string()),
    ("peers", pa.int64()),
    ("rank_count", pa.int64()),
    ("percentile_count", pa.float64()),
    ("ranked_count", pa.int64()),
    ("peer_median_count", pa.float64()),
    ("rank_amount", pa.int64()),
    ("percentile_amount", pa.float64()),
    ("ranked_amount", pa.int64()),
    ("peer_median_amount", pa.float64()),
]


def peers_schema() -> pa.Schema:
    return pa.schema(list(output_schema()) + [pa.field(n, t) for n, t in PEER_FIELDS])


def _collectivite(frames: Frames, siren: str) -> dict[str, Any]:
    if not frames.has("ref_collectivites"):
        raise IndicatorError("comparaison impossible : le référentiel des collectivités n'est pas chargé.")
    rows = (
        frames.frame("ref_collectivites")
        .filter(nw.col("siren") == siren)
        .select("siren", "nom", "groupe_pairs", "tranche_population", "tranche_libelle")
        .collect("pyarrow")
        .to_arrow()
        .to_pylist()
    )
    if not rows:
        raise IndicatorError(f"le SIREN {siren} n'est pas une collectivité du référentiel : pas de pairs.")
    return rows[0]


def _position(values: pa.Array, value: float | None) -> tuple[int | None, float | None, int, float | None]:
    """(rank, percentile, ranked, median): rank 1 = highest value; percentile = share of the other
    ranked peers with a strictly lower value, in %."""
    known = pc.drop_null(values)
    ranked = len(known)
    median = None
    if ranked:  # exact median: sort and take the middle value(s)
        ordered = pc.sort_indices(known)
        middle = [known[ordered[i].as_py()].as_py() for i in {(ranked - 1) // 2, ranked // 2}]
        median = sum(middle) / len(middle)
    if value is None:
        return None, None, ranked, median
    higher = pc.sum(pc.greater(known, value)).as_py() or 0
    lower = pc.sum(pc.less(known, value)).as_py() or 0
    percentile = 100.0 * lower / (ranked - 1) if ranked > 1 else None
    return 1 + higher, percentile, ranked, median


def peers(
    source: duckdb.DuckDBPyConnection | Frames,
    siren: str,
    year: int,
    *,
    indicators: list[str] | None = None,
    amount: str = "initial",
    engine: str = "duckdb",
) -> pa.Table:
    """For collectivité `siren` and `year`: one row per indicator with its values (and counts, as in
    compute()) and its rank and percentile among the collectivités of the same peer group
    (groupe_pairs) and population band that have at least one contract in the indicator's scope.

    Rank 1 = highest value; ties share the best rank. Percentile = share of the other ranked peers
    whose value is strictly lower (0 = lowest, 100 = highest); NULL when it has no ranked peer.
    Peers whose value is unknown (denominator 0) are not ranked.
    """
    cat = catalogue()
    selected = cat.select(indicators)
    with open_frames(source, engine) as frames:
        target = _collectivite(frames, siren)
        request = Request(
            level=breakdowns.level("collectivite"),
            dimensions=(),
            year=year,
            siren=None,
            code=None,
            amount=amount,
            peer_group=(target["groupe_pairs"], target["tranche_population"]),
        )
        group = run(frames, request, selected, cat)
    rows = []
    for ind in selected:
        mine = group.filter(pc.and_(pc.equal(group["indicator"], ind.id), pc.equal(group["code"], siren)))
        peers_rows = group.filter(pc.equal(group["indicator"], ind.id))
        if mine.num_rows:
            row = mine.to_pylist()[0]
        else:  # no contract in scope this year: values unknown, peers still described
            row = {f.name: None for f in output_schema()}
            row.update(
                level="collectivite",
                code=siren,
                label=target["nom"],
                year=year,
                indicator=ind.id,
                unit=ind.unit,
            )
            row.update(population=0, amount_basis=amount, synthetic=False)
        rank_c, pct_c, ranked_c, median_c = _position(peers_rows["value_count"], row["value_count"])
        rank_a, pct_a, ranked_a, median_a = _position(peers_rows["value_amount"], row["value_amount"])
        row.update(
            peer_group=target["groupe_pairs"],
            peer_band=target["tranche_population"],
            peer_band_label=target["tranche_libelle"],
            peers=peers_rows.num_rows,
            rank_count=rank_c,
            percentile_count=pct_c,
            ranked_count=ranked_c,
            peer_median_count=median_c,
            rank_amount=rank_a,
            percentile_amount=pct_a,
            ranked_amount=ranked_a,
            peer_median_amount=median_a,
        )
        rows.append(row)
    return pa.Table.from_pylist(rows, schema=peers_schema())
