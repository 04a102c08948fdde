"""French labels of the groups (buyer names, collectivités, départements, régions).

A small query of its own, run beside the indicators' group-by rather than joined onto its wide
result: each step on a relation with a hundred columns costs time in DuckDB's Python layer,
while this query reads two columns and returns one row per group.
"""

from __future__ import annotations

from typing import Any

import narwhals as nw
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from leviers.indicators.breakdowns import Level
from leviers.indicators.sources import Frames

NATIONAL = "France entière"
NOT_LOCATED = "non localisé (acheteur hors collectivités, ou collectivité sur plusieurs départements)"


def labels(frames: Frames, facts: nw.LazyFrame[Any], level: Level) -> pa.Table | None:
    """Table (code, label) for the groups of `facts` at `level`; None for the national level."""
    if level.key is None:
        return None
    if level.name in ("departement", "region"):
        table = "ref_departements" if level.name == "departement" else "ref_regions"
        if not frames.has(table):
            return pa.table({"code": pa.array([], pa.string()), "label": pa.array([], pa.string())})
        names = frames.frame(table).select(nw.col("code"), nw.col("nom").alias("label"))
        return names.collect("pyarrow").to_arrow()
    published = level.name != "collectivite"
    if published:
        groups = facts.group_by(level.key).agg(nw.col("acheteur_nom").max().alias("_published"))
    else:
        groups = facts.select(level.key).unique()
    groups = groups.with_columns(
        nw.col(level.key).alias("code"), nw.col(level.key).str.slice(0, 9).alias("_siren")
    )
    sources = []
    if frames.has("ref_collectivites"):
        ref = frames.frame("ref_collectivites").select(
            nw.col("siren").alias("_siren"), nw.col("nom").alias("_ref")
        )
        groups = groups.join(ref, on="_siren", how="left")
        sources.append(nw.col("_ref"))
    if frames.has("legal_units"):
        units = frames.frame("legal_units").select(
            nw.col("siren").alias("_siren"), nw.col("denomination").alias("_unit")
        )
        groups = groups.join(units, on="_siren", how="left")
        sources.append(nw.col("_unit"))
    if published:
        sources.append(nw.col("_published"))
    if not sources:
        return None
    label = nw.coalesce(*sources) if len(sources) > 1 else sources[0]
    return groups.select("code", label.cast(nw.String).alias("label")).collect("pyarrow").to_arrow()


def attach(wide: pa.Table, found: pa.Table | None, level: Level) -> pa.Table:
    """`wide` with a `label` column looked up from `found` by code."""
    n = wide.num_rows
    if level.key is None:
        dictionary = pa.array([NATIONAL])
        column = pa.DictionaryArray.from_arrays(
            pa.array(np.zeros(n, np.int32)), dictionary
        ).dictionary_decode()
        return wide.append_column("label", column)
    if found is None or found.num_rows == 0:
        column = pa.nulls(n, pa.string())
    else:
        positions = pc.index_in(wide.column("code"), value_set=found.column("code").combine_chunks())
        column = pc.take(found.column("label").combine_chunks(), positions)
    if level.name in ("departement", "region"):
        column = pc.if_else(pc.is_null(wide.column("code")), pa.scalar(NOT_LOCATED), column)
    return wide.append_column("label", column)
