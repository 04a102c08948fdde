"""Peers: a collectivité's rank and percentile among collectivités of the same type and population band.

One definition (PEERS_SQL), used by `peers()` below and by the web's serving copy:

- peers are the collectivités of the same peer group (commune, EPCI, département, région) and
  population band with at least one item in the indicator's scope that year;
- only **sufficient** values are ranked (leviers.indicators.base: enough known items, enough of
  the base known); rank 1 = highest value, ties share the best rank; percentile = share of the
  other ranked peers whose value is strictly lower; exact median of the ranked values;
- rank, percentile and median are given only among at least MIN_RANKED_PEERS ranked peers.
"""

from __future__ import annotations

from typing import Any

import duckdb
import narwhals as nw
import pyarrow as pa
import pyarrow.compute as pc

from leviers.indicators import breakdowns
from leviers.indicators.base import MIN_RANKED_PEERS
from leviers.indicators.catalogue import Indicator, catalogue
from leviers.indicators.engine import Request, open_frames, output_schema, peer_group_filters, run
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

# `members`: one row per collectivité × year × indicator with code, year, indicator, value_count,
# value_amount, sufficient_count, sufficient_amount, groupe_pairs, tranche_population, tranche_libelle.
# Output: code, year, indicator and PEER_FIELDS.
PEERS_SQL = f"""
WITH members AS (
    SELECT code, year, indicator, groupe_pairs, tranche_population, tranche_libelle,
           CASE WHEN sufficient_count THEN value_count END AS ranked_value_count,
           CASE WHEN sufficient_amount THEN value_amount END AS ranked_value_amount
    FROM {{members}}
), ranked AS (
    SELECT *,
           count(*) OVER g AS peers,
           count(ranked_value_count) OVER g AS ranked_count,
           median(ranked_value_count) OVER g AS median_count,
           count(ranked_value_amount) OVER g AS ranked_amount,
           median(ranked_value_amount) OVER g AS median_amount,
           CASE WHEN ranked_value_count IS NOT NULL THEN rank() OVER (
               PARTITION BY year, indicator, groupe_pairs, tranche_population, ranked_value_count IS NULL
               ORDER BY ranked_value_count DESC) END AS rank_c,
           CASE WHEN ranked_value_count IS NOT NULL THEN rank() OVER (
               PARTITION BY year, indicator, groupe_pairs, tranche_population, ranked_value_count IS NULL
               ORDER BY ranked_value_count ASC) - 1 END AS lower_c,
           CASE WHEN ranked_value_amount IS NOT NULL THEN rank() OVER (
               PARTITION BY year, indicator, groupe_pairs, tranche_population, ranked_value_amount IS NULL
               ORDER BY ranked_value_amount DESC) END AS rank_a,
           CASE WHEN ranked_value_amount IS NOT NULL THEN rank() OVER (
               PARTITION BY year, indicator, groupe_pairs, tranche_population, ranked_value_amount IS NULL
               ORDER BY ranked_value_amount ASC) - 1 END AS lower_a
    FROM members
    WINDOW g AS (PARTITION BY year, indicator, groupe_pairs, tranche_population)
)
SELECT code, year, indicator,
       groupe_pairs AS peer_group, tranche_population AS peer_band, tranche_libelle AS peer_band_label,
       peers,
       CASE WHEN ranked_count >= {MIN_RANKED_PEERS} THEN rank_c END AS rank_count,
       CASE WHEN ranked_count >= {MIN_RANKED_PEERS} AND lower_c IS NOT NULL
            THEN 100.0 * lower_c / (ranked_count - 1) END AS percentile_count,
       ranked_count,
       CASE WHEN ranked_count >= {MIN_RANKED_PEERS} THEN median_count END AS peer_median_count,
       CASE WHEN ranked_amount >= {MIN_RANKED_PEERS} THEN rank_a END AS rank_amount,
       CASE WHEN ranked_amount >= {MIN_RANKED_PEERS} AND lower_a IS NOT NULL
            THEN 100.0 * lower_a / (ranked_amount - 1) END AS percentile_amount,
       ranked_amount,
       CASE WHEN ranked_amount >= {MIN_RANKED_PEERS} THEN median_amount END AS peer_median_amount
FROM ranked
"""


def peers_sql(members: str) -> str:
    """PEERS_SQL over the relation named `members` (a fixed name chosen by the caller)."""
    return PEERS_SQL.replace("{members}", members)


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


def group_sirens(frames: Frames, siren: str) -> list[str]:
    """The SIRENs of the collectivités of `siren`'s peer group (same groupe_pairs and population
    band, `siren` among them): the buyers whose rows `peers()` reads. IndicatorError when `siren`
    is not a collectivité of the reference."""
    target = _collectivite(frames, siren)
    members = (
        frames.frame("ref_collectivites")
        .filter(*peer_group_filters(target["groupe_pairs"], target["tranche_population"]))
        .select("siren")
        .collect("pyarrow")
        .to_arrow()
    )
    return sorted(str(s) for s in members.column("siren").to_pylist())


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
    compute()) and its position among the collectivités of the same peer group (groupe_pairs) and
    population band that have at least one item in the indicator's scope (rules: PEERS_SQL)."""
    cat = catalogue()
    selected = cat.select(indicators)
    target, group, positions, _ = _group(source, siren, year, selected, amount, engine, only=siren)
    rows = []
    for ind in selected:
        mine = group.filter(pc.and_(pc.equal(group["indicator"], ind.id), pc.equal(group["code"], siren)))
        if mine.num_rows:
            row = mine.to_pylist()[0]
        else:  # no item in scope this year: values unknown, peers still described
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
        position = positions.get((siren, ind.id))
        if position is None:  # absent from the group: described by the group's counts
            position = _empty_position(positions, ind.id, target)
        row.update(position)
        rows.append(row)
    return pa.Table.from_pylist(rows, schema=peers_schema())


def peer_table(
    source: duckdb.DuckDBPyConnection | Frames,
    siren: str,
    year: int,
    indicator: str,
    *,
    amount: str = "initial",
    engine: str = "duckdb",
) -> pa.Table:
    """The peers of collectivité `siren` named, for one indicator and year: one row per collectivité
    of its group (same groupe_pairs and population band, at least one item in scope), with its
    values, their bases and its position (PEERS_SQL), ranked ones first by value. The collectivité
    itself is among them; `is_target` marks it; `habitants` is each one's population (reference)."""
    cat = catalogue()
    selected = cat.select([indicator])
    _, group, positions, inhabitants = _group(source, siren, year, selected, amount, engine)
    rows = []
    for row in group.to_pylist():
        row.update(positions[(row["code"], row["indicator"])])
        row["is_target"] = row["code"] == siren
        row["habitants"] = inhabitants.get(row["code"])
        rows.append(row)
    rows.sort(key=peer_order)
    schema = (
        peers_schema().append(pa.field("is_target", pa.bool_())).append(pa.field("habitants", pa.int64()))
    )
    return pa.Table.from_pylist(rows, schema=schema)


def peer_order(row: dict[str, Any]) -> tuple[Any, ...]:
    """Ranked by count first (rank 1 first), then ranked by amount only, then the unranked by
    name: the order of a peers table on every face."""
    return (
        row["rank_count"] is None,
        row["rank_count"] or 0,
        row["rank_amount"] is None,
        row["rank_amount"] or 0,
        (row["label"] or "").casefold(),
        row["code"],
    )


def _group(
    source: duckdb.DuckDBPyConnection | Frames,
    siren: str,
    year: int,
    selected: tuple[Indicator, ...],
    amount: str,
    engine: str,
    only: str | None = None,
) -> tuple[dict[str, Any], pa.Table, dict[tuple[str, str], dict[str, Any]], dict[str, int | None]]:
    """The target collectivité, the indicator rows of every member of its peer group, every
    member's position (PEERS_SQL) keyed by (code, indicator) — only collectivité `only`'s and
    one member's by indicator when given (see _positions) —, and the population of every
    collectivité of the group (reference), keyed by SIREN."""
    cat = catalogue()
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
        inhabitants = {
            r["siren"]: r["population"]
            for r in frames.frame("ref_collectivites")
            .filter(
                (nw.col("groupe_pairs") == target["groupe_pairs"])
                & (nw.col("tranche_population") == target["tranche_population"])
            )
            .select("siren", "population")
            .collect("pyarrow")
            .to_arrow()
            .to_pylist()
        }
    n = group.num_rows
    members = group.append_column("groupe_pairs", pa.array([target["groupe_pairs"]] * n, pa.string()))
    members = members.append_column(
        "tranche_population", pa.array([target["tranche_population"]] * n, pa.string())
    )
    members = members.append_column("tranche_libelle", pa.array([target["tranche_libelle"]] * n, pa.string()))
    return target, group, _positions(members, only), inhabitants


def _positions(members: pa.Table, only: str | None = None) -> dict[tuple[str, str], dict[str, Any]]:
    """PEERS_SQL over an Arrow table of one group's members (one year), keyed by (code,
    indicator). With `only`: that collectivité's positions and one member's by indicator (the
    group's counts and medians, the same for every member: _empty_position), not the thousands
    of a group of small communes."""
    con = duckdb.connect()
    try:
        con.register("peer_members", members)
        sql, parameters = peers_sql("peer_members"), []
        if only is not None:
            sql = (
                f"SELECT * FROM ({sql}) QUALIFY code = ? "
                "OR row_number() OVER (PARTITION BY year, indicator ORDER BY code) = 1"
            )
            parameters = [only]
        found = con.sql(sql, params=parameters).to_arrow_table().to_pylist()
    finally:
        con.close()
    fields = [name for name, _ in PEER_FIELDS]
    return {(r["code"], r["indicator"]): {f: r[f] for f in fields} for r in found}


def _empty_position(
    positions: dict[tuple[str, str], dict[str, Any]], indicator: str, target: dict[str, Any]
) -> dict[str, Any]:
    """The position of a collectivité with no item in scope: not ranked; the group described."""
    others = [p for (_, i), p in positions.items() if i == indicator]
    sample = others[0] if others else {}
    return {
        "peer_group": target["groupe_pairs"],
        "peer_band": target["tranche_population"],
        "peer_band_label": target["tranche_libelle"],
        "peers": sample.get("peers", 0),
        "rank_count": None,
        "percentile_count": None,
        "ranked_count": sample.get("ranked_count", 0),
        "peer_median_count": sample.get("peer_median_count"),
        "rank_amount": None,
        "percentile_amount": None,
        "ranked_amount": sample.get("ranked_amount", 0),
        "peer_median_amount": sample.get("peer_median_amount"),
    }
