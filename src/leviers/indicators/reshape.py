"""From the engine's sums (one row per group and fact table) to the published tables.

Pure Arrow/numpy on the collected sums, the same code whatever the engine. `long_table` gives one
row per group × indicator (indicator by indicator, in catalogue order, groups sorted by their keys
inside each indicator); `wide_table` one row per group with a few columns per indicator. Both are
vectorised: millions of long rows (every buyer × year × indicator) take about a second.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from leviers.indicators import base
from leviers.indicators.catalogue import Indicator, catalogue

KEY_SENTINEL = {pa.string(): "\x00", pa.int32(): -1}  # stands for NULL while joining on keys
WIDE_MEASURES = ("value_count", "value_amount", "numerator", "denominator", "unknown")


@dataclass(frozen=True)
class Item:
    """One indicator to shape: which part holds its sums, and their column names."""

    indicator: Indicator
    part: str
    plan: dict[str, str]
    note: str | None
    scale: float  # sums of supplier-weighted shares are in 1/scale contract


@dataclass
class Part:
    """The sums of one fact table, one row per group, in key order."""

    wide: pa.Table
    keys: list[str]
    order: np.ndarray = field(init=False)
    groups: pa.Table = field(init=False)  # key columns and label, in key order
    _floats: dict[str, np.ndarray] = field(init=False, default_factory=dict)
    _kept: dict[str, tuple[np.ndarray | None, pa.Table]] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        sort_keys = [(k, "ascending") for k in self.keys]
        self.order = np.asarray(pc.sort_indices(self.wide.select(self.keys), sort_keys=sort_keys))
        self.groups = self.wide.select([*self.keys, "label"]).take(pa.array(self.order))

    def prepare(self, plans: Sequence[dict[str, str]]) -> None:
        """Convert every sum column the plans use (and `_synthetic`), and select the groups of
        every population, before threads read them."""
        for name in {"_synthetic", *(column for plan in plans for column in plan.values())}:
            if name in self.wide.column_names:
                self.floats(name)
        for plan in plans:
            self.kept(plan["population"])

    def floats(self, name: str) -> np.ndarray:
        """A sum column as float64 in key order (cached: indicators share their populations)."""
        if name not in self._floats:
            column = pc.fill_null(pc.cast(self.wide.column(name), pa.float64()), 0.0)
            self._floats[name] = np.asarray(column.to_numpy(), dtype=np.float64)[self.order]
        return self._floats[name]

    def kept(self, population: str) -> tuple[np.ndarray | None, pa.Table]:
        """The groups with at least one contract in a population (sum column): their positions
        (None: every group) and their keys and label (cached: most indicators share one)."""
        if population not in self._kept:
            keep = np.flatnonzero(self.floats(population) > 0)
            if len(keep) == self.wide.num_rows:
                self._kept[population] = (None, self.groups)
            else:
                self._kept[population] = (keep, self.groups.take(pa.array(keep)))
        return self._kept[population]


def _divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator, NaN where the denominator is 0."""
    out = np.full(len(numerator), np.nan)
    return np.divide(numerator, denominator, out=out, where=denominator > 0)


def measures(part: Part, item: Item) -> dict[str, np.ndarray]:
    """Every numeric output column of one indicator, in key order (NaN = NULL)."""
    ind, plan = item.indicator, item.plan
    nan = np.full(part.wide.num_rows, np.nan)
    population, available = part.floats(plan["population"]), part.floats(plan["available"])
    out = {
        "population": population,
        "not_applicable": population - available,
        "value_amount": nan,
        "unknown": nan,
        "denominator": nan,
        "amount_denominator": nan,
        "amount_numerator": nan,
        "amount_unknown": nan,
        "amount_missing": nan,
        "amount_set_aside": nan,
        "synthetic": part.floats("_synthetic"),
    }
    if "amount_set_aside" in plan:
        out["amount_missing"] = part.floats(plan["amount_missing"])
        out["amount_set_aside"] = part.floats(plan["amount_set_aside"])
    if ind.unit == "count":
        out.update(numerator=population, value_count=population)
        # A count needs no base: it is always quotable by number. Its total amount is unknown (not
        # 0) when no amount is known, and quotable only on a base rule (leviers.indicators.base).
        out["sufficient_count"] = out["sufficient_amount"] = np.ones(len(population))
        if "amount_population" in plan:
            amount = part.floats(plan["amount_population"]) / 100.0
            known = population - np.nan_to_num(out["amount_missing"]) - np.nan_to_num(out["amount_set_aside"])
            amount = np.where(known > 0, amount, np.nan)
            out.update(value_amount=amount, amount_numerator=amount)
            out["sufficient_amount"] = base.sufficient_totals(population, known)
    else:
        denominator = part.floats(plan["known"]) / item.scale
        numerator = part.floats(plan["total" if ind.unit == "mean" else "yes"]) / item.scale
        out.update(
            denominator=denominator,
            numerator=numerator,
            unknown=available - denominator,
            value_count=_divide(numerator, denominator),
        )
        if "amount_known" in plan:
            known, yes = part.floats(plan["amount_known"]), part.floats(plan["amount_yes"])
            out.update(
                amount_denominator=known / 100.0,
                amount_numerator=yes / 100.0,
                amount_unknown=(part.floats(plan["amount_available"]) - known) / 100.0,
                value_amount=_divide(yes, known),
            )
        out["sufficient_count"] = base.sufficient_counts(denominator, out["unknown"]).astype(np.float64)
        out["sufficient_amount"] = base.sufficient_amounts(
            denominator, out["amount_denominator"], out["amount_unknown"]
        ).astype(np.float64)
    target = ind.target.value if ind.target else np.nan
    out["target"] = np.full(len(population), target)
    out["gap"] = out["value_count"] - target
    return out


def _constant(value: str | None, n: int) -> pa.Array:
    """A constant string column, built from its buffers (pa.repeat is slow for strings)."""
    if value is None:
        return pa.nulls(n, pa.string())
    raw = value.encode()
    offsets = np.arange(0, (n + 1) * len(raw), len(raw), dtype=np.int64)[: n + 1].astype(np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(raw * n))


def _numbers(values: np.ndarray, kind: pa.DataType) -> pa.Array:
    """A float64 or int64 column from float64 values, NaN → NULL; the values' buffer is used as is
    when nothing is NULL (no copy)."""
    missing = np.isnan(values)
    n_missing = int(np.count_nonzero(missing))
    if n_missing == len(values):
        return pa.nulls(len(values), kind)
    if kind != pa.float64():
        values = np.where(missing, 0.0, values).astype(kind.to_pandas_dtype())
    if not n_missing:
        return pa.array(values, kind)
    validity = pa.py_buffer(np.packbits(~missing, bitorder="little"))
    return pa.Array.from_buffers(kind, len(values), [validity, pa.py_buffer(values)], null_count=n_missing)


def long_table(
    parts: dict[str, Part],
    items: Sequence[Item],
    level: str,
    amount: str,
    schema: pa.Schema,
    keys: Sequence[str] = (),
    combined: Sequence[Indicator] = (),
) -> pa.Table:
    """One row per group × indicator with at least one contract in the indicator's scope; then
    the `combined` indicators, each from the rows of the indicators it adds up (by `keys`).

    Indicators are shaped side by side on the machine's cores (numpy and Arrow release the GIL),
    then concatenated in catalogue order. Columns that repeat (keys, labels, constants) are shared
    between indicators rather than copied."""
    constants: dict[tuple[str | None, int], pa.Array] = {}

    def constant(value: str | None, n: int) -> pa.Array:
        if (value, n) not in constants:  # a race only builds the same column twice
            constants[(value, n)] = _constant(value, n)
        return constants[(value, n)]

    def chunk(item: Item) -> pa.Table:
        part = parts[item.part]
        values = measures(part, item)
        keep, groups = part.kept(item.plan["population"])
        n = groups.num_rows

        def kept(array: np.ndarray) -> np.ndarray:
            return array if keep is None else array[keep]

        data: dict[str, pa.Array | pa.ChunkedArray] = {
            "level": constant(level, n),
            "indicator": _constant(item.indicator.id, n),
            "unit": constant(item.indicator.unit, n),
            "amount_basis": constant(amount, n),
            "note": constant(item.note, n),
            "synthetic": pa.array(kept(values["synthetic"]) > 0),
            "sufficient_count": pa.array(kept(values["sufficient_count"]) > 0),
            "sufficient_amount": pa.array(kept(values["sufficient_amount"]) > 0),
        }
        converted: dict[tuple[int, pa.DataType], pa.Array] = {}  # measures share arrays
        for f in schema:
            if f.name in groups.column_names:
                data[f.name] = groups.column(f.name)
            elif f.name == "code":
                data[f.name] = pa.nulls(n, pa.string())
            elif f.name not in data:
                source = values[f.name]
                if (id(source), f.type) not in converted:
                    converted[(id(source), f.type)] = _numbers(kept(source), f.type)
                data[f.name] = converted[(id(source), f.type)]
        columns = [
            data[f.name] if data[f.name].type == f.type else pc.cast(data[f.name], f.type) for f in schema
        ]
        return pa.Table.from_arrays(columns, schema=schema)

    for part in parts.values():
        part.prepare([i.plan for i in items if parts[i.part] is part])
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        chunks = list(pool.map(chunk, items))
    by_id = {item.indicator.id: table for item, table in zip(items, chunks, strict=True)}
    for indicator in combined:
        by_id[indicator.id] = combine(
            [by_id[c] for c in indicator.combine if c in by_id], indicator, keys, schema
        )
    rank = {indicator.id: n for n, indicator in enumerate(catalogue().indicators)}
    tables = [by_id[i] for i in sorted(by_id, key=rank.__getitem__)]
    return pa.concat_tables(tables) if tables else schema.empty_table()


# Measures of a combined indicator: sums of its parts' measures (NULL parts count as 0).
_SUMMED = (
    "population", "not_applicable", "unknown", "denominator", "numerator", "amount_denominator",
    "amount_numerator", "amount_unknown", "amount_missing", "amount_set_aside",
)  # fmt: skip


def combine(
    tables: Sequence[pa.Table], indicator: Indicator, keys: Sequence[str], schema: pa.Schema
) -> pa.Table:
    """The rows of a combined indicator: for each group present in every part (a channel without
    data leaves the sum unknown, never partial), the sums of the parts' counts and amounts, the
    share by amount of those sums, no share by number (items of different kinds)."""
    if len(tables) < len(indicator.combine) or any(t.num_rows == 0 for t in tables):
        return schema.empty_table()
    keys = list(keys)
    joined = _null_safe(tables[0].select([*keys, "label"]), keys)
    joined = joined.append_column("_r0", pa.array(np.arange(tables[0].num_rows, dtype=np.int64)))
    for n, table in enumerate(tables[1:], start=1):
        right = _null_safe(table.select(keys), keys)
        right = right.append_column(f"_r{n}", pa.array(np.arange(table.num_rows, dtype=np.int64)))
        joined = joined.join(right, keys=keys, join_type="inner")
    joined = _restore_nulls(joined.sort_by([(k, "ascending") for k in keys]), keys)
    rows = [joined.column(f"_r{n}").to_numpy() for n in range(len(tables))]
    size = joined.num_rows

    def column(table: pa.Table, name: str, positions: np.ndarray) -> np.ndarray:
        values = pc.fill_null(pc.cast(table.column(name), pa.float64()), 0.0).to_numpy()
        return np.asarray(values, dtype=np.float64)[positions]

    sums = {
        name: np.sum([column(t, name, r) for t, r in zip(tables, rows, strict=True)], axis=0)
        for name in _SUMMED
    }
    flags = {
        name: np.any([column(t, name, r) > 0 for t, r in zip(tables, rows, strict=True)], axis=0)
        for name in ("synthetic",)
    }
    parts_notes = [
        pc.take(t.column("note"), pa.array(r)).to_pylist() for t, r in zip(tables, rows, strict=True)
    ]
    # The parts' notes, joined (most are NULL; Arrow's element-wise join mishandles chunked NULLs).
    notes = [
        " ; ".join(dict.fromkeys(n for n in found if n)) or None for found in zip(*parts_notes, strict=True)
    ]
    nan = np.full(size, np.nan)
    data: dict[str, pa.Array | pa.ChunkedArray] = {
        "level": pc.take(tables[0].column("level"), pa.array(rows[0])),
        "amount_basis": pc.take(tables[0].column("amount_basis"), pa.array(rows[0])),
        "label": joined.column("label"),
        "indicator": _constant(indicator.id, size),
        "unit": _constant(indicator.unit, size),
        "value_count": _numbers(nan, pa.float64()),
        "value_amount": _numbers(_divide(sums["amount_numerator"], sums["amount_denominator"]), pa.float64()),
        "target": _numbers(nan, pa.float64()),
        "gap": _numbers(nan, pa.float64()),
        "synthetic": pa.array(flags["synthetic"]),
        "sufficient_count": pa.array(np.zeros(size, dtype=bool)),
        "sufficient_amount": pa.array(
            base.sufficient_amounts(sums["denominator"], sums["amount_denominator"], sums["amount_unknown"])
        ),
        "note": pa.array(notes, pa.string()),
    }
    for key in keys:
        data[key] = joined.column(key)
    columns = []
    for f in schema:
        if f.name in data:
            array = data[f.name]
        elif f.name in sums:
            array = _numbers(sums[f.name], f.type)
        else:
            array = pa.nulls(size, f.type)
        columns.append(array if array.type == f.type else pc.cast(array, f.type))
    return pa.Table.from_arrays(columns, schema=schema)


def _null_safe(table: pa.Table, keys: Sequence[str]) -> pa.Table:
    for key in keys:
        column = table.column(key)
        filled = pc.fill_null(column, KEY_SENTINEL[column.type])
        table = table.set_column(table.column_names.index(key), key, filled)
    return table


def add_aligned(base: pa.Table, other: pa.Table, keys: Sequence[str]) -> pa.Table:
    """`base` with the sum columns of `other` appended, row for row by the keys (NULL keys match).

    Every group of `other` must be in `base`; a group of `base` absent from `other` gets 0, the sum
    over no row (counts and the engine's sums, which are coalesced to 0, alike)."""
    left = _null_safe(base.select(list(keys)), keys)
    right = _null_safe(other.select(list(keys)), keys)
    left = left.append_column("_base", pa.array(np.arange(base.num_rows, dtype=np.int64)))
    right = right.append_column("_other", pa.array(np.arange(other.num_rows, dtype=np.int64)))
    matched = left.join(right, keys=list(keys), join_type="inner")
    if matched.num_rows != other.num_rows:
        raise AssertionError("a segment's group-by found groups absent from the whole table")
    rows = matched.column("_base").to_numpy()
    order = matched.column("_other").to_numpy()
    for name in other.column_names:
        if name in keys:
            continue
        values = other.column(name).to_numpy()
        if other.column(name).null_count:
            raise AssertionError(f"sum column {name} has NULL values")
        column = np.zeros(base.num_rows, dtype=values.dtype)
        column[rows] = values[order]
        base = base.append_column(name, pa.array(column))
    return base


def _restore_nulls(table: pa.Table, keys: Sequence[str]) -> pa.Table:
    for key in keys:
        column = table.column(key)
        sentinel = pa.scalar(KEY_SENTINEL[column.type], column.type)
        restored = pc.if_else(pc.equal(column, sentinel), pa.nulls(len(column), column.type), column)
        table = table.set_column(table.column_names.index(key), key, restored)
    return table


def wide_table(parts: dict[str, Part], items: Sequence[Item], level: str, keys: Sequence[str]) -> pa.Table:
    """One row per group: keys, label, then `<indicator>.<measure>` for WIDE_MEASURES (value_amount
    only for indicators measured by amount). Fact tables are joined on the keys (NULL keys match)."""
    tables = []
    for name, part in parts.items():
        columns: dict[str, pa.Array | pa.ChunkedArray] = {k: part.groups.column(k) for k in keys}
        columns[f"label.{name}"] = part.groups.column("label")
        for item in (i for i in items if i.part == name):
            values = measures(part, item)
            for measure in WIDE_MEASURES:
                if measure == "value_amount" and "amount" not in item.indicator.measures:
                    continue
                columns[f"{item.indicator.id}.{measure}"] = _numbers(values[measure], pa.float64())
        tables.append(_null_safe(pa.table(columns), keys))
    merged = tables[0]
    for other in tables[1:]:
        merged = merged.join(other, keys=list(keys), join_type="full outer")
    merged = _restore_nulls(merged.sort_by([(k, "ascending") for k in keys]), keys)
    labels = [merged.column(n) for n in merged.column_names if n.startswith("label.")]
    merged = merged.drop_columns([n for n in merged.column_names if n.startswith("label.")])
    label = pc.coalesce(*labels) if len(labels) > 1 else labels[0]
    head = [("level", _constant(level, merged.num_rows))]
    if "code" not in keys:
        head.append(("code", pa.nulls(merged.num_rows, pa.string())))
    for position, (name, column) in enumerate(head):
        merged = merged.add_column(position, name, column)
    return merged.add_column(merged.column_names.index("year"), "label", label)
