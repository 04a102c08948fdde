"""Compute the catalogue's indicators for a breakdown, on DuckDB or Spark, as one long Arrow table.

How: for each fact table (marchés, concessions) one narwhals group-by computes integer-valued sums
(counts, supplier shares in 1/720 720 units, amounts in cents) for every requested indicator; the
engine collects that small wide table and shapes it into one row per group × indicator, with the
counts behind every share. Sums of integer-valued doubles below 2**53 do not depend on the order of
addition, so DuckDB and Spark return bit-identical results.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import narwhals as nw
import pyarrow as pa
import pyarrow.compute as pc

from leviers.indicators import breakdowns, expressions, facts, labels, reshape
from leviers.indicators.catalogue import TABLES, Catalogue, Indicator, catalogue
from leviers.indicators.errors import IndicatorError
from leviers.indicators.sources import DuckDBFrames, Frames, SparkFrames, export_parquet, spark_session
from leviers.progress import NoProgress, Progress

# Supplier-weighted shares are summed in units of 1/UNIT contract: the least common multiple of
# 1…16, so splitting a contract between up to 16 co-titulaires is exact.
UNIT = 720720
AMOUNT_BASES = ("initial", "current")

SCHEMA_HEAD = [
    ("level", pa.string()),
    ("code", pa.string()),
    ("label", pa.string()),
    ("year", pa.int32()),
]
SCHEMA_TAIL = [
    ("indicator", pa.string()),
    ("unit", pa.string()),
    ("value_count", pa.float64()),
    ("value_amount", pa.float64()),
    ("target", pa.float64()),
    ("gap", pa.float64()),
    ("population", pa.int64()),
    ("not_applicable", pa.int64()),
    ("unknown", pa.float64()),
    ("denominator", pa.float64()),
    ("numerator", pa.float64()),
    ("amount_denominator", pa.float64()),
    ("amount_numerator", pa.float64()),
    ("amount_unknown", pa.float64()),
    ("amount_missing", pa.int64()),
    ("amount_set_aside", pa.int64()),
    ("amount_basis", pa.string()),
    ("synthetic", pa.bool_()),
    ("sufficient_count", pa.bool_()),
    ("sufficient_amount", pa.bool_()),
    ("note", pa.string()),
]


def output_schema(dimensions: Sequence[str] = ()) -> pa.Schema:
    """Schema of compute()'s long table (one row per group × indicator)."""
    return pa.schema(SCHEMA_HEAD + [(d, pa.string()) for d in dimensions] + SCHEMA_TAIL)


@dataclass(frozen=True)
class Request:
    level: breakdowns.Level
    dimensions: tuple[str, ...]
    year: int | None
    siren: str | None
    code: str | None
    amount: str
    peer_group: tuple[str, str | None] | None = None  # (groupe_pairs, tranche_population)


class _Sums:
    """The aggregate expressions of one fact table, deduplicated by what they compute, by segment.

    A segment is the set of rows a sum reads: every row (segment None), or only the rows where an
    indicator's `available` condition holds (format 2024 contracts, say). Each segment is one
    group-by over its own rows, so the many sums restricted to format 2024 contracts read those
    contracts only instead of testing the condition on every contract.
    """

    def __init__(self) -> None:
        self.segments: dict[str | None, dict[tuple[Any, ...], tuple[str, nw.Expr]]] = {}
        self.count = 0

    def add(
        self,
        key: tuple[Any, ...],
        condition: nw.Expr | None,
        value: nw.Expr | None = None,
        segment: str | None = None,
    ) -> str:
        """Register sum(value) — or the number of rows when `value` is None — over the segment's
        rows meeting `condition` (`count(CASE WHEN c THEN 1 END)` / `sum(CASE WHEN c THEN v END)`)."""
        exprs = self.segments.setdefault(segment, {})
        if key not in exprs:
            if value is None:
                expr = nw.len() if condition is None else facts.count_where(condition)
            else:
                expr = (value if condition is None else nw.when(condition).then(value)).sum()
            name = f"s{self.count}"
            self.count += 1
            exprs[key] = (name, expr.alias(name))
        return exprs[key][0]


def _and(*parts: nw.Expr | None) -> nw.Expr | None:
    present = [p for p in parts if p is not None]
    if not present:
        return None
    combined = present[0]
    for part in present[1:]:
        combined = combined & part
    return combined


def _plan(ind: Indicator, sums: _Sums, columns: set[str], params: dict[str, Any]) -> dict[str, str]:
    """Register the sums an indicator needs; returns measure → sum column name.

    Sums are keyed by what they compute (kind, scope, expression) within their segment (all rows,
    or the rows where the indicator's `available` holds), so indicators sharing a population or a
    value share the work.
    """

    def compiled(text: str) -> nw.Expr:
        expr = expressions.compile_expression(text, columns, params)
        if expressions.names(text) - set(params):
            return expr
        # A constant (`known: 1`) must still be evaluated row by row to be summed.
        return expr * (nw.col("montant_centimes").fill_null(0.0) * 0.0 + 1.0)

    scope = compiled(ind.scope) if ind.scope else None  # NULL = no: a CASE WHEN skips it
    within = ind.available  # the segment of the sums over available rows
    cents = nw.col("montant_centimes")
    set_aside = nw.col("montant_ecarte")
    amounts = "amount" in ind.measures
    on_scope = (ind.scope,)
    plan = {
        "population": sums.add(("n", *on_scope), scope),
        "available": sums.add(("n", *on_scope), scope, segment=within),
    }
    if amounts:
        # Rows of the population without an amount (absent from every amount measure): published
        # without one, or set aside as aberrant (counted apart).
        plan["amount_missing"] = sums.add(("nocents", *on_scope), _and(scope, cents.is_null() & ~set_aside))
        plan["amount_set_aside"] = sums.add(("aside", *on_scope), _and(scope, set_aside))
    if ind.unit == "count":
        if amounts:
            plan["amount_population"] = sums.add(("cents", *on_scope), scope, cents)
        return plan
    if amounts:
        plan["amount_available"] = sums.add(("cents", *on_scope), scope, cents, segment=within)
    if ind.positive is not None and ind.known is not None:  # supplier-weighted fractions
        yes, known = compiled(ind.positive).cast(nw.Float64), compiled(ind.known).cast(nw.Float64)
        on_yes, on_known = (*on_scope, ind.positive), (*on_scope, ind.known)
        plan["known"] = sums.add(("units", *on_known), scope, (known * UNIT).round(0), within)
        plan["yes"] = sums.add(("units", *on_yes), scope, (yes * UNIT).round(0), within)
        if amounts:
            plan["amount_known"] = sums.add(("cents", *on_known), scope, (known * cents).round(0), within)
            plan["amount_yes"] = sums.add(("cents", *on_yes), scope, (yes * cents).round(0), within)
        return plan
    assert ind.value is not None
    value = compiled(ind.value)
    is_known: nw.Expr | None = ~value.is_null()
    is_yes = value  # NULL (unknown) is not counted as yes: a CASE WHEN skips it
    k_known: tuple[str | None, ...] = (*on_scope, "known", ind.value)
    k_yes = (*on_scope, "yes", ind.value)
    if expressions.never_null(ind.value):
        k_known, is_known = on_scope, None  # known = available: reuse that sum
    plan["known"] = sums.add(("n", *k_known), _and(scope, is_known), segment=within)
    if ind.unit == "mean":
        plan["total"] = sums.add(("sum", *on_scope, ind.value), scope, value.cast(nw.Float64), within)
        return plan
    plan["yes"] = sums.add(("n", *k_yes), _and(scope, is_yes), segment=within)
    if amounts:
        plan["amount_known"] = sums.add(("cents", *k_known), _and(scope, is_known), cents, within)
        plan["amount_yes"] = sums.add(("cents", *k_yes), _and(scope, is_yes), cents, within)
    return plan


def _needed(texts: Iterable[str], request: Request, params: dict[str, Any]) -> set[str]:
    """The fact columns a group-by reads: keys, filters, and the names in the expressions `texts`."""
    needed = {
        "annee",
        "acheteur_siren",
        "montant_centimes",
        "montant_ecarte",
        "synthetic",
        *request.dimensions,
    }
    for text in texts:
        needed |= expressions.names(text) - set(params)
    if request.level.key:
        needed.add(request.level.key)
    if request.level.only_collectivites:
        needed.add("collectivite")
    if request.peer_group:
        needed |= {"collectivite", "groupe_pairs", "tranche_population"}
    return needed


def _segment_texts(indicators: Sequence[Indicator], segment: str | None) -> list[str]:
    """The expressions the sums of `segment` read (see _plan: populations and missing amounts
    are over every row, everything else within the indicator's `available` segment)."""
    texts: list[str] = []
    for ind in indicators:
        if ind.available == segment:
            texts += ind.expressions().values()
        elif segment is None and ind.scope:
            texts.append(ind.scope)
    return texts


def _filters(request: Request) -> list[nw.Expr]:
    filters = []
    if request.year is not None:
        filters.append(nw.col("annee") == request.year)
    if request.siren is not None:
        filters.append(nw.col("acheteur_siren") == request.siren)
    if request.level.only_collectivites:
        filters.append(nw.col("collectivite"))
    if request.code is not None and request.level.key is not None:
        filters.append(nw.col(request.level.key) == request.code)
    if request.peer_group is not None:
        filters += peer_group_filters(*request.peer_group)
    return filters


def peer_group_filters(group: str, band: str | None) -> list[nw.Expr]:
    """The rows of peer group `group` and population band `band` (columns groupe_pairs and
    tranche_population: of the facts, or of ref_collectivites, whose columns they are)."""
    return [
        nw.col("groupe_pairs") == group,
        nw.col("tranche_population").is_null() if band is None else nw.col("tranche_population") == band,
    ]


def _output_keys(request: Request) -> list[str]:
    return (["code"] if request.level.key else []) + ["year", *request.dimensions]


def _wide(
    frames: Frames, table: str, indicators: Sequence[Indicator], request: Request, params: dict[str, Any]
) -> tuple[pa.Table, dict[str, dict[str, str]]]:
    """The group-bys over a fact table, one per segment, aligned on the groups of the first (every
    row): the output keys (code, year, dimensions), `label`, `_synthetic` and the sums s0, s1…;
    plus, per indicator, measure → sum column."""
    conditions = _filters(request)
    columns = set(facts.COLUMNS[table])
    sums = _Sums()
    synthetic = sums.add(("synthetic",), nw.col("synthetic"))
    plans = {ind.id: _plan(ind, sums, columns, params) for ind in indicators}
    keys = ([request.level.key] if request.level.key else []) + ["annee", *request.dimensions]
    renames = {"annee": "year", synthetic: "_synthetic"}
    if request.level.key:
        renames[request.level.key] = "code"
    result: pa.Table | None = None
    for segment, exprs in sums.segments.items():  # segment None first: it has every group
        needed = _needed(_segment_texts(indicators, segment), request, params)
        filters, late = list(conditions), list[nw.Expr]()
        if segment is not None:
            within = expressions.compile_expression(segment, columns, params).fill_null(False)
            # Before the fact table's costly joins unless it reads what they bring.
            (late if expressions.names(segment) & set(facts.JOINED_LATE) else filters).append(within)
        frame = facts.build(frames, table, needed, request.amount, filters)
        if late:
            frame = frame.filter(*late)
        wide = frame.group_by(*keys).agg(*[expr for _, expr in exprs.values()]).collect("pyarrow").to_arrow()
        wide = wide.rename_columns([renames.get(n, n) for n in wide.column_names])
        output_keys = [renames.get(k, k) for k in keys]
        result = wide if result is None else reshape.add_aligned(result, wide, output_keys)
    assert result is not None
    # Labels: a light query of their own (only the columns the filters and the label need).
    light = {
        c
        for c in _needed((), request, params)
        if c not in ("montant_centimes", "montant_ecarte", "synthetic")
    }
    if request.level.name in ("acheteur", "unite_legale"):
        light.add("acheteur_nom")
    label_frame = facts.build(frames, table, light, request.amount, conditions)
    found = labels.labels(frames, label_frame, request.level)
    return labels.attach(result, found, request.level), plans


def run(
    frames: Frames, request: Request, indicators: Sequence[Indicator], cat: Catalogue, shape: str = "long"
) -> pa.Table:
    """compute() on already opened frames."""
    asked = {i.id for i in indicators}
    indicators = cat.with_components(tuple(indicators))
    params = cat.parameter_values() if _uses_parameters(indicators, cat) else {}
    keys = _output_keys(request)
    parts: dict[str, reshape.Part] = {}
    items = []
    for table in TABLES:
        selected = [i for i in indicators if i.table == table]
        if not selected:
            continue
        wide, plans = _wide(frames, table, selected, request, params)
        parts[table] = reshape.Part(wide, keys)
        for ind in selected:
            missing = [t for t in ind.requires if frames.empty(t)]
            items.append(
                reshape.Item(
                    indicator=ind,
                    part=table,
                    plan=plans[ind.id],
                    note=_missing_note(missing),
                    scale=float(UNIT) if ind.weighted else 1.0,
                )
            )
    order = {ind.id: rank for rank, ind in enumerate(cat.indicators)}
    items.sort(key=lambda item: order[item.indicator.id])
    combined = [i for i in indicators if i.combine]
    if shape == "wide":  # combined indicators are given by the long shape only
        return reshape.wide_table(
            parts, [i for i in items if i.indicator.id in asked], request.level.name, keys
        )
    table = reshape.long_table(
        parts, items, request.level.name, request.amount, output_schema(request.dimensions), keys, combined
    )
    if asked != {i.id for i in indicators}:  # components computed for a combined indicator only
        table = table.filter(pc.is_in(table["indicator"], pa.array(sorted(asked))))
    return table


# What each table an indicator `requires` holds, as its readers know it. The note says what is missing,
# in any face's words; each face adds how to load it in its own terms (a command, a page).
MISSING_DATA = {
    "legal_units": "la catégorie d'entreprise des titulaires (répertoire SIRENE)",
    "ess_status": "le statut ESS des titulaires (répertoire SIRENE et listes de l'ESS)",
}


def _missing_note(tables: list[str]) -> str | None:
    if not tables:
        return None
    what = " ; ".join(MISSING_DATA.get(t, t) for t in tables)
    return f"inconnu : données pas encore chargées dans l'entrepôt ({what})"


def _uses_parameters(indicators: Sequence[Indicator], cat: Catalogue) -> bool:
    used = set().union(*(expressions.names(t) for i in indicators for t in i.expressions().values()))
    return bool(used & set(cat.parameters))


@contextmanager
def open_frames(source: duckdb.DuckDBPyConnection | Frames, engine: str) -> Iterator[Frames]:
    """Frames for `engine` from a DuckDB warehouse connection (or frames already opened)."""
    if not isinstance(source, duckdb.DuckDBPyConnection):
        yield source
        return
    if engine == "duckdb":
        yield DuckDBFrames(source)
    elif engine == "spark":
        spark = spark_session()
        with tempfile.TemporaryDirectory(prefix="leviers-spark-") as tmp:
            export_parquet(source, Path(tmp))
            yield SparkFrames(spark, Path(tmp))
    else:
        raise IndicatorError(f"moteur « {engine} » inconnu (possibles : duckdb, spark)")


def compute(
    source: duckdb.DuckDBPyConnection | Frames,
    *,
    by: str = "national",
    year: int | None = None,
    siren: str | None = None,
    code: str | None = None,
    dimensions: Sequence[str] = (),
    indicators: Sequence[str] | None = None,
    amount: str = "initial",
    engine: str = "duckdb",
    shape: str = "long",
    progress: Progress | None = None,
) -> pa.Table:
    """The indicators of the catalogue for every group of the breakdown, as a long Arrow table.

    `by` is the level (acheteur, unite_legale, collectivite, departement, region, national); the
    year is always a dimension, and `dimensions` adds famille, procedure or cpv_division. `year`,
    `siren` (buyer SIREN) and `code` (the level's code) filter. `amount` chooses the amount of
    amount-based measures: initial notified amount or current amount after modifications.
    `shape="long"` (default): one row per group × indicator (schema: output_schema()), indicators
    in catalogue order, groups sorted by their keys within each indicator. `shape="wide"`: one
    row per group with `<indicator>.<measure>` columns. See docs/indicators.md.
    """
    progress = progress or NoProgress()
    if shape not in ("long", "wide"):
        raise IndicatorError(f"forme « {shape} » inconnue (possibles : long, wide)")
    if amount not in AMOUNT_BASES:
        raise IndicatorError(f"montant « {amount} » inconnu (possibles : initial, current)")
    level = breakdowns.level(by)
    request = Request(level, breakdowns.dimensions(tuple(dimensions)), year, siren, code, amount)
    cat = catalogue()
    selected = cat.select(tuple(indicators) if indicators else None)
    with open_frames(source, engine) as frames:
        if level.needs_reference and not frames.has("ref_collectivites"):
            raise IndicatorError(
                f"le niveau « {by} » demande le référentiel des collectivités (table ref_collectivites), "
                "absent de cet entrepôt."
            )
        progress.start(f"Calcul des indicateurs ({frames.engine})", total=None)
        result = run(frames, request, selected, cat, shape)
        progress.finish()
    return result
