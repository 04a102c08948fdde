"""SPASER estimate: buyers whose notified amounts in a calendar year exceed the SPASER threshold.

The law (CCP art. L2111-3, D2111-3) counts the purchases made in a calendar year; the DECP only give
notified amounts. The sum of a legal unit's initial notified amounts per notification year is a
proxy, always flagged as an estimate with its reasons. The threshold (50 M€ HT from 2023, 100 M€
before) is read from the law's parameters (leviers.law), never copied here.
"""

from __future__ import annotations

import datetime
from typing import Any

import duckdb
import narwhals as nw
import pyarrow as pa

from leviers.indicators import facts, legal
from leviers.indicators.engine import open_frames
from leviers.indicators.sources import Frames

ALL_BUYERS_PARAMETER = "spaser.tous_acheteurs"

GENERAL_REASONS = (
    "estimation : somme des montants notifiés dans l'année, pas des dépenses de l'année ; un marché "
    "pluriannuel compte en entier l'année de sa notification",
    "les accords-cadres comptent pour leur montant maximal estimé",
    "les marchés de moins de 40 000 € HT ne sont pas dans les DECP et manquent à la somme",
    "les concessions ne sont pas comptées (ce ne sont pas des achats)",
)

SCHEMA = pa.schema(
    [
        ("siren", pa.string()),
        ("label", pa.string()),
        ("collectivite", pa.bool_()),
        ("year", pa.int32()),
        ("contracts", pa.int64()),
        ("amount_notified", pa.float64()),
        ("amount_framework", pa.float64()),
        ("contracts_without_amount", pa.int64()),
        ("contracts_set_aside", pa.int64()),
        ("threshold", pa.float64()),
        ("threshold_reference", pa.string()),
        ("ratio", pa.float64()),
        ("above_threshold", pa.bool_()),
        ("estimate", pa.bool_()),
        ("reasons", pa.list_(pa.string())),
        ("synthetic", pa.bool_()),
    ]
)


def _euros(value: float) -> str:
    return f"{value / 1e6:,.1f} M€".replace(",", " ").replace(".", ",")


def _reasons(row: dict[str, Any], all_buyers_from: datetime.date) -> list[str]:
    reasons = list(GENERAL_REASONS)
    if row["amount_framework"]:
        reasons.append(f"dont {_euros(row['amount_framework'])} d'accords-cadres (montants maximaux)")
    if row["contracts_without_amount"]:
        reasons.append(f"{row['contracts_without_amount']} marché(s) sans montant non compté(s)")
    if row["contracts_set_aside"]:
        reasons.append(
            f"{row['contracts_set_aside']} marché(s) au montant aberrant écarté(s) de la somme (montants de "
            "remplissage comme 99 999 999 €, ou hors de proportion : voir la méthode)"
        )
    if not row["collectivite"] and datetime.date(row["year"], 12, 31) < all_buyers_from:
        reasons.append(
            "cette année-là, l'obligation ne visait que les collectivités territoriales et les acheteurs "
            f"dont le statut est fixé par la loi (tous les acheteurs depuis le {all_buyers_from:%d/%m/%Y})"
        )
    return reasons


def spaser_estimates(
    source: duckdb.DuckDBPyConnection | Frames,
    year: int | None = None,
    *,
    siren: str | None = None,
    include_below: bool = False,
    engine: str = "duckdb",
) -> pa.Table:
    """Legal units (SIREN) whose initial notified amounts in a notification year exceed the SPASER
    threshold in force on 1 January of that year (all units when `include_below`). One row per
    SIREN × year, sorted by decreasing amount, each flagged `estimate` with its reasons."""
    threshold = legal.parameter(legal.SPASER_THRESHOLD)
    all_buyers_from = legal.parameter(ALL_BUYERS_PARAMETER).first_date_true()
    with open_frames(source, engine) as frames:
        needed = {
            "acheteur_siren",
            "annee",
            "montant_centimes",
            "montant_ecarte",
            "accord_cadre",
            "synthetic",
            "collectivite",
        }
        frame = facts.build(frames, "contracts", needed, "initial")
        if year is not None:
            frame = frame.filter(nw.col("annee") == year)
        if siren is not None:
            frame = frame.filter(nw.col("acheteur_siren") == siren)
        cents = nw.col("montant_centimes")
        grouped = frame.group_by("acheteur_siren", "annee").agg(
            nw.len().alias("contracts"),
            cents.fill_null(0.0).sum().alias("cents"),
            nw.when(nw.col("accord_cadre"))
            .then(cents.fill_null(0.0))
            .otherwise(0.0)
            .sum()
            .alias("framework"),
            facts.count_where(cents.is_null() & ~nw.col("montant_ecarte")).alias("without_amount"),
            facts.count_where(nw.col("montant_ecarte")).alias("set_aside"),
            nw.col("collectivite").max().alias("collectivite"),
            facts.count_where(nw.col("synthetic")).alias("synthetic"),
        )
        labels = []
        if frames.has("ref_collectivites"):
            labels.append(
                frames.frame("ref_collectivites").select(
                    nw.col("siren").alias("acheteur_siren"), nw.col("nom")
                )
            )
        if frames.has("legal_units"):
            labels.append(
                frames.frame("legal_units").select(
                    nw.col("siren").alias("acheteur_siren"), nw.col("denomination").alias("nom_unite")
                )
            )
        for lookup in labels:
            grouped = grouped.join(lookup, on="acheteur_siren", how="left")
        rows = grouped.collect("pyarrow").to_arrow().to_pylist()
    result = []
    for r in rows:
        if r["annee"] is None:
            continue
        in_force = threshold.at(datetime.date(r["annee"], 1, 1))
        if in_force is None:
            continue
        amount = r["cents"] / 100.0
        limit = float(in_force.value)
        above = amount > limit  # the law: strictly above the threshold
        if not above and not include_below:
            continue
        row = {
            "siren": r["acheteur_siren"],
            "label": r.get("nom") or r.get("nom_unite"),
            "collectivite": bool(r["collectivite"]),
            "year": r["annee"],
            "contracts": r["contracts"],
            "amount_notified": amount,
            "amount_framework": r["framework"] / 100.0,
            "contracts_without_amount": int(r["without_amount"]),
            "contracts_set_aside": int(r["set_aside"]),
            "threshold": limit,
            "threshold_reference": f"{threshold.article} ; " + " ; ".join(in_force.references),
            "ratio": amount / limit,
            "above_threshold": above,
            "estimate": True,
            "synthetic": r["synthetic"] > 0,
        }
        row["reasons"] = _reasons(row, all_buyers_from)
        result.append(row)
    result.sort(key=lambda row: (-row["amount_notified"], row["siren"], row["year"]))
    return pa.Table.from_pylist(result, schema=SCHEMA)
