"""Fact tables: one row per initial contract, concession or subsidy line with every column the
catalogue reads.

Built with narwhals from the warehouse tables, so the same code runs on DuckDB and on Spark. Only
the columns a request needs are computed: the supplier join, for instance, is skipped when no
supplier indicator is asked for. The columns are documented here (COLUMNS), and docs/method.md is
generated from this documentation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import narwhals as nw

from leviers.indicators import legal
from leviers.indicators.sources import Frames

NO_PROCEDURE = "Marché passé sans publicité ni mise en concurrence préalable"

# Buyer attributes joined from the collectivités reference (ref_collectivites).
BUYER_COLUMNS: dict[str, str] = {
    "collectivite": "the buyer's SIREN is a collectivité of the reference (ref_collectivites)",
    "departement_code": "département of that collectivité (NULL for other buyers or several départements)",
    "region_code": "région of that collectivité (NULL for other buyers)",
    "groupe_pairs": "peer group of that collectivité: commune, epci, departement, region",
    "tranche_population": "population band of that collectivité within its peer group",
}

COLUMNS: dict[str, dict[str, str]] = {
    "contracts": {
        "acheteur_id": "buyer SIRET (contracts.acheteur_id)",
        "acheteur_siren": "buyer SIREN, the legal unit (first 9 characters of the SIRET)",
        "acheteur_nom": "buyer name as published (format 2019 and tabular files only)",
        "annee": "notification year (year of contracts.date_notification); NULL when the date is unknown",
        "date_notification": "notification date",
        "format_2024": "the contract was published in format 2024 (schema 2.0), so it carries the 2024 fields",
        "cpv_division": "CPV division: first two digits of the normalised 8-digit CPV code",
        "famille": "travaux (CPV 45), fournitures (CPV 03–44 and 48) or services (CPV 50–98), from the CPV",
        "procedure": "procedure, normalised to the current enum",
        "nature": "nature as published (Marché, Accord-cadre in format 2019…)",
        "accord_cadre": "framework agreement: nature Accord-cadre (format 2019) or technique Accord-cadre (2024)",
        "montant_initial": "initial notified amount, € HT (contracts.montant)",
        "montant_actuel": "amount after the latest modification that set one (contracts.current_montant)",
        "montant_centimes": "the amount used by amount measures (initial or current), in whole cents; NULL when "
        "unknown or set aside (montant_ecarte)",
        "montant_ecarte": "the initial amount is classed aberrant (view contract_amount_checks): it is left out of "
        "every amount measure and counted apart",
        "seuil_europeen": "EU formal-procedure threshold in force on the notification date for the "
        "contract's family (works, or supplies and services of buyers other than the central State), "
        "read from leviers.law",
        "has_social": "≥ 1 of Clause sociale, Critère social, Marché réservé; NULL = unknown",
        "social_clause": "Clause sociale listed; NULL = unknown",
        "social_criterion": "Critère social listed; NULL = unknown",
        "social_reserved": "Marché réservé listed; NULL = unknown",
        "social_unknown": "why has_social is NULL: 'format 2019', 'NC', 'MQ' or 'absent'",
        "has_environmental": "≥ 1 of Clause environnementale, Critère environnemental; NULL = unknown",
        "env_clause": "Clause environnementale listed; NULL = unknown",
        "env_criterion": "Critère environnemental listed; NULL = unknown",
        "env_unknown": "why has_environmental is NULL: 'format 2019', 'NC', 'MQ' or 'absent'",
        "marche_innovant": "marcheInnovant; NULL = unknown",
        "offres_recues": "offresRecues; NULL = unknown",
        "attribution_avance": "attributionAvance; NULL = unknown",
        "sous_traitance_declaree": "sousTraitanceDeclaree; NULL = unknown",
        "titulaires": "number of initial titulaires (contract_suppliers, modification_id 0); NULL when none",
        "titulaires_siren": "initial titulaires with a SIREN",
        "titulaires_pme": "initial titulaires whose legal unit is an SME (legal_units.categorie_entreprise = PME)",
        "titulaires_categorie_connue": "initial titulaires whose category (PME, ETI, GE) is known; 0 when "
        "legal_units is not loaded",
        "titulaires_ess": "initial titulaires with ess_status.status = ESS",
        "titulaires_ess_connu": "initial titulaires whose ESS status is ESS or non ESS; 0 when ess_status "
        "is not loaded",
        "synthetic": "the row was produced by a synthetic generator",
        **BUYER_COLUMNS,
    },
    "concessions": {
        "acheteur_id": "concession authority SIRET (concessions.autorite_concedante_id)",
        "acheteur_siren": "concession authority SIREN",
        "acheteur_nom": "authority name as published",
        "annee": "signature year (year of concessions.date_signature)",
        "date_signature": "signature date",
        "format_2024": "published in format 2024 (schema 2.0)",
        "cpv_division": "always NULL (concessions have no CPV code)",
        "famille": "travaux for a Concession de travaux, services for the other natures",
        "procedure": "procedure as published",
        "nature": "nature (Concession de travaux, de service, de service public, DSP)",
        "montant_initial": "initial valeur globale, € HT",
        "montant_actuel": "valeur globale after the latest modification that set one",
        "montant_centimes": "the amount used by amount measures (initial or current), in whole cents",
        "montant_ecarte": "always false: concession values are not checked (too few comparable concessions)",
        "has_social": "≥ 1 social consideration; NULL = unknown",
        "social_reserved": "Concession réservée listed; NULL = unknown",
        "social_unknown": "why has_social is NULL",
        "has_environmental": "≥ 1 environmental consideration; NULL = unknown",
        "env_unknown": "why has_environmental is NULL",
        "synthetic": "the row was produced by a synthetic generator",
        **BUYER_COLUMNS,
    },
    "subsidies": {
        "acheteur_id": "grantor SIRET (subsidies.id_attribuant): the collectivité whose money it is",
        "acheteur_siren": "grantor SIREN (subsidies.attribuant_siren)",
        "acheteur_nom": "grantor name as published (subsidies.nom_attribuant)",
        "annee": "year of the convention (subsidies.annee: convention date, else the year published)",
        "montant_centimes": "amount for this beneficiary (subsidies.montant_beneficiaire), in whole cents; NULL "
        "when unknown or set aside (montant_ecarte)",
        "montant_ecarte": "the amount is classed aberrant (view subsidy_amount_checks): left out of amount "
        "measures and counted apart",
        "beneficiaire_ess": "the beneficiary's ESS status: true = ESS (ess_status, or an association known by "
        "its RNA number alone, ESS by law), false = non ESS, NULL = unknown",
        "famille": "always NULL (subsidies have no purchase family)",
        "procedure": "always NULL",
        "cpv_division": "always NULL",
        "synthetic": "the row was produced by a synthetic generator",
        **BUYER_COLUMNS,
    },
}

OPTIONAL_TABLES = (
    "legal_units",
    "ess_status",
    "ref_collectivites",
    "ref_departements",
    "ref_regions",
    "contract_amount_checks",
    "subsidy_amount_checks",
    "subsidy_beneficiary_status",
)
SUPPLIER_COLUMNS = (
    "titulaires",
    "titulaires_siren",
    "titulaires_pme",
    "titulaires_categorie_connue",
    "titulaires_ess",
    "titulaires_ess_connu",
)

# The column of each fact table's warehouse table that is the buyer's SIREN (the fact column
# acheteur_siren): the grantor's for subsidy lines (leviers.indicators.subset restricts by it).
BUYER_SOURCE = {
    "contracts": "acheteur_siren",
    "concessions": "autorite_concedante_siren",
    "subsidies": "attribuant_siren",
}

# Columns joined after a fact table's rows are filtered (build's `filters` may not read them).
JOINED_LATE = (*SUPPLIER_COLUMNS, "beneficiaire_ess")


def count_where(condition: nw.Expr) -> nw.Expr:
    """Number of rows meeting `condition` (NULL = no), as `count(CASE WHEN c THEN 1 END)`: on
    DuckDB as fast as a FILTER clause and about 3× faster than summing 0.0/1.0 flags."""
    return nw.when(condition).then(nw.lit(1)).count()


def _cents(amount: nw.Expr) -> nw.Expr:
    return (amount * 100).round(0)


def _year(date: str) -> nw.Expr:
    return nw.col(date).dt.year().cast(nw.Int32)


def _dated(date: nw.Expr, parameter: legal.DatedParameter) -> nw.Expr:
    """The parameter's value in force on `date` (NULL before its first value)."""
    expr: nw.Expr = nw.lit(None, dtype=nw.Float64)
    for value in parameter.values:  # ascending: later starts wrap earlier ones
        expr = nw.when(date >= nw.lit(value.start)).then(nw.lit(float(value.value))).otherwise(expr)
    return expr


def _famille_from_cpv(division: nw.Expr) -> nw.Expr:
    # String comparisons on the two-digit division: no cast, so no ANSI cast error on Spark.
    supplies = ((division >= "03") & (division <= "44")) | (division == "48")
    services = (division >= "50") & (division <= "98")
    return (
        nw.when(division == "45")
        .then(nw.lit("travaux"))
        .otherwise(
            nw.when(supplies)
            .then(nw.lit("fournitures"))
            .otherwise(nw.when(services).then(nw.lit("services")).otherwise(nw.lit(None, dtype=nw.String)))
        )
    )


def _suppliers(frames: Frames, kept: nw.LazyFrame[Any] | None = None) -> nw.LazyFrame[Any]:
    """Per contract: counts of initial titulaires by known SIREN, SME and ESS status; only for the
    contracts whose `contract_key` is in `kept`, when given."""
    rows = (
        frames.frame("contract_suppliers")
        .filter(nw.col("modification_id") == 0)
        .select("contract_key", "titulaire_siren")
    )
    if kept is not None:
        # An inner join on the distinct kept keys (a semi join): DuckDB then hashes the kept keys
        # and streams the titulaire rows past them, where its semi join hashed every titulaire row.
        rows = rows.join(kept.unique(["contract_key"]), on="contract_key", how="inner")

    def number(condition: nw.Expr) -> nw.Expr:
        return count_where(condition).cast(nw.Float64)

    counts: list[nw.Expr] = [
        nw.len().cast(nw.Float64).alias("titulaires"),
        nw.col("titulaire_siren").count().cast(nw.Float64).alias("titulaires_siren"),
    ]
    # SIRENE category and ESS status joined into one small table first (one lookup per titulaire
    # row instead of two: the join on 2 M titulaire rows is the costly part).
    statuses: nw.LazyFrame[Any] | None = None
    if frames.has("legal_units"):
        statuses = frames.frame("legal_units").select(
            nw.col("siren").alias("titulaire_siren"), "categorie_entreprise"
        )
        category = nw.col("categorie_entreprise")
        counts += [
            number(category == "PME").alias("titulaires_pme"),
            number(category.is_in(["PME", "ETI", "GE"])).alias("titulaires_categorie_connue"),
        ]
    else:
        counts += [nw.lit(0.0).alias("titulaires_pme"), nw.lit(0.0).alias("titulaires_categorie_connue")]
    if frames.has("ess_status"):
        ess = frames.frame("ess_status").select(nw.col("siren").alias("titulaire_siren"), "status")
        if statuses is None:
            statuses = ess
        else:
            statuses = (
                statuses.join(ess, on="titulaire_siren", how="full")
                .with_columns(
                    nw.coalesce("titulaire_siren", "titulaire_siren_right").alias("titulaire_siren")
                )
                .drop("titulaire_siren_right")
            )
        counts += [
            number(nw.col("status") == "ESS").alias("titulaires_ess"),
            number(nw.col("status").is_in(["ESS", "non ESS"])).alias("titulaires_ess_connu"),
        ]
    else:
        counts += [nw.lit(0.0).alias("titulaires_ess"), nw.lit(0.0).alias("titulaires_ess_connu")]
    if statuses is not None:
        rows = rows.join(statuses, on="titulaire_siren", how="left")
    return rows.group_by("contract_key").agg(*counts)


def _with_buyers(frame: nw.LazyFrame[Any], frames: Frames, needed: set[str]) -> nw.LazyFrame[Any]:
    wanted = [c for c in BUYER_COLUMNS if c in needed]
    if not wanted:
        return frame
    if not frames.has("ref_collectivites"):
        return frame.with_columns(
            nw.lit(False).alias("collectivite"),
            *[nw.lit(None, dtype=nw.String).alias(c) for c in wanted if c != "collectivite"],
        )
    ref = frames.frame("ref_collectivites").select(
        nw.col("siren").alias("acheteur_siren"),
        nw.lit(True).alias("collectivite"),
        *[c for c in wanted if c != "collectivite"],
    )
    joined = frame.join(ref, on="acheteur_siren", how="left")
    return joined.with_columns(nw.col("collectivite").fill_null(False))


def _set_aside(frame: nw.LazyFrame[Any], frames: Frames, checks: str, key: str) -> nw.LazyFrame[Any]:
    """`frame` with `_aberrant`: its amount is classed aberrant by the view `checks` (false when the
    view is absent, as in a warehouse of an older Leviers)."""
    if not frames.has(checks):
        return frame.with_columns(nw.lit(False).alias("_aberrant"))
    aberrant = (
        frames.frame(checks)
        .filter(nw.col("classe") == "aberrant")
        .select(nw.col(key), nw.lit(True).alias("_aberrant"))
    )
    joined = frame.join(aberrant, on=key, how="left")
    return joined.with_columns(nw.col("_aberrant").fill_null(False))


def _kept_cents(amount: nw.Expr) -> nw.Expr:
    """The amount in cents, NULL when set aside."""
    return nw.when(~nw.col("_aberrant")).then(_cents(amount))


def contract_facts(
    frames: Frames, needed: set[str], amount: str, filters: Sequence[nw.Expr] = ()
) -> nw.LazyFrame[Any]:
    """Fact table of the marchés, with the `needed` columns (see COLUMNS['contracts']), restricted
    to the rows meeting `filters` (expressions on `needed` columns other than the suppliers').

    The filters are applied before the supplier counts are joined, and those counts are computed
    for the kept contracts only: one buyer's indicators then read its suppliers' rows, not the
    2 million titulaire rows of every contract (same rows as filtering afterwards: the counts
    are one row per contract)."""
    basis = "montant" if amount == "initial" else "current_montant"
    division = nw.col("cpv").str.slice(0, 2)
    derived: dict[str, nw.Expr] = {
        "annee": _year("date_notification"),
        "format_2024": nw.col("schema_version") == "2.0",
        "cpv_division": division,
        "famille": _famille_from_cpv(division),
        "accord_cadre": (nw.col("nature") == "Accord-cadre").fill_null(False)
        | nw.col("techniques").list.contains("Accord-cadre").fill_null(False),
        "montant_initial": nw.col("montant"),
        "montant_actuel": nw.col("current_montant"),
        "montant_centimes": _kept_cents(nw.col(basis)),
        "montant_ecarte": nw.col("_aberrant"),
    }
    if "seuil_europeen" in needed:
        date = nw.col("date_notification")
        derived["seuil_europeen"] = (
            nw.when(division == "45")  # famille travaux (see _famille_from_cpv)
            .then(_dated(date, legal.parameter(legal.EU_THRESHOLD_WORKS)))
            .otherwise(_dated(date, legal.parameter(legal.EU_THRESHOLD_SUPPLIES_SERVICES)))
        )
    passthrough = [
        c
        for c in COLUMNS["contracts"]
        if c in needed and c not in derived and c not in SUPPLIER_COLUMNS and c not in BUYER_COLUMNS
    ]
    frame = frames.frame("contracts")
    if "montant_centimes" in needed or "montant_ecarte" in needed:
        frame = _set_aside(frame, frames, "contract_amount_checks", "contract_key")
    else:
        frame = frame.with_columns(nw.lit(False).alias("_aberrant"))
    suppliers = [c for c in SUPPLIER_COLUMNS if c in needed]
    frame = frame.select(
        *passthrough,
        *[expr.alias(name) for name, expr in derived.items() if name in needed],
        *(["acheteur_siren"] if "acheteur_siren" not in needed else []),
        *(["contract_key"] if suppliers else []),
    )
    frame = _with_buyers(frame, frames, needed)
    if filters:
        frame = frame.filter(*filters)
    if not suppliers:
        return frame
    counts = _suppliers(frames, frame.select("contract_key") if filters else None)
    return frame.join(counts, on="contract_key", how="left").drop("contract_key")


def concession_facts(
    frames: Frames, needed: set[str], amount: str, filters: Sequence[nw.Expr] = ()
) -> nw.LazyFrame[Any]:
    """Fact table of the concessions, with the `needed` columns (see COLUMNS['concessions']),
    restricted to the rows meeting `filters`."""
    basis = "valeur_globale" if amount == "initial" else "current_valeur_globale"
    derived: dict[str, nw.Expr] = {
        "acheteur_id": nw.col("autorite_concedante_id"),
        "acheteur_siren": nw.col(BUYER_SOURCE["concessions"]),
        "acheteur_nom": nw.col("autorite_concedante_nom"),
        "annee": _year("date_signature"),
        "format_2024": nw.col("schema_version") == "2.0",
        "cpv_division": nw.lit(None, dtype=nw.String),
        "famille": nw.when(nw.col("nature") == "Concession de travaux")
        .then(nw.lit("travaux"))
        .otherwise(
            nw.when(~nw.col("nature").is_null())
            .then(nw.lit("services"))
            .otherwise(nw.lit(None, dtype=nw.String))
        ),
        "montant_initial": nw.col("valeur_globale"),
        "montant_actuel": nw.col("current_valeur_globale"),
        "montant_centimes": _cents(nw.col(basis)),
        "montant_ecarte": nw.lit(False),  # concession values are not checked (no comparable peers)
    }
    passthrough = [
        c for c in COLUMNS["concessions"] if c in needed and c not in derived and c not in BUYER_COLUMNS
    ]
    frame = frames.frame("concessions").select(
        *passthrough,
        *[expr.alias(name) for name, expr in derived.items() if name in needed or name == "acheteur_siren"],
    )
    frame = _with_buyers(frame, frames, needed)
    return frame.filter(*filters) if filters else frame


def _beneficiary_status(frames: Frames, frame: nw.LazyFrame[Any]) -> nw.LazyFrame[Any]:
    """`frame` (subsidy lines) with `beneficiaire_ess` from the view subsidy_beneficiary_status
    (70_ess_money.sql: SIREN, else RNA number; an association known by its RNA number alone is ESS)."""
    if not frames.has("subsidy_beneficiary_status"):
        return frame.with_columns(nw.lit(None, dtype=nw.Boolean).alias("beneficiaire_ess"))
    statuses = frames.frame("subsidy_beneficiary_status").select("subsidy_key", "status")
    status = nw.col("status")
    return frame.join(statuses, on="subsidy_key", how="left").with_columns(
        nw.when(status == "ESS")
        .then(nw.lit(True))
        .otherwise(nw.when(status == "non ESS").then(nw.lit(False)).otherwise(nw.lit(None, dtype=nw.Boolean)))
        .alias("beneficiaire_ess")
    )


def subsidy_facts(
    frames: Frames, needed: set[str], amount: str, filters: Sequence[nw.Expr] = ()
) -> nw.LazyFrame[Any]:
    """Fact table of the subsidy attribution lines (one per beneficiary), with the `needed` columns
    (see COLUMNS['subsidies']), restricted to the rows meeting `filters` (on `needed` columns other
    than beneficiaire_ess: the beneficiaries' statuses are joined to the kept lines only). The
    grantor stands where the buyer stands for contracts: the collectivité whose money it is.
    Subsidies have one amount, whatever `amount` asks for."""
    frame = frames.frame("subsidies").filter(~nw.col(BUYER_SOURCE["subsidies"]).is_null())
    if "montant_centimes" in needed or "montant_ecarte" in needed:
        frame = _set_aside(frame, frames, "subsidy_amount_checks", "subsidy_key")
    else:
        frame = frame.with_columns(nw.lit(False).alias("_aberrant"))
    status = "beneficiaire_ess" in needed
    derived: dict[str, nw.Expr] = {
        "acheteur_id": nw.col("id_attribuant"),
        "acheteur_siren": nw.col(BUYER_SOURCE["subsidies"]),
        "acheteur_nom": nw.col("nom_attribuant"),
        "annee": nw.col("annee").cast(nw.Int32),
        "montant_centimes": _kept_cents(nw.col("montant_beneficiaire")),
        "montant_ecarte": nw.col("_aberrant"),
        **{name: nw.lit(None, dtype=nw.String) for name in ("famille", "procedure", "cpv_division")},
    }
    passthrough = [
        c
        for c in COLUMNS["subsidies"]
        if c in needed and c not in derived and c not in BUYER_COLUMNS and c != "beneficiaire_ess"
    ]
    frame = frame.select(
        *passthrough,
        *[expr.alias(name) for name, expr in derived.items() if name in needed or name == "acheteur_siren"],
        *(["subsidy_key"] if status else []),
    )
    frame = _with_buyers(frame, frames, needed)
    if filters:
        frame = frame.filter(*filters)
    if not status:
        return frame
    return _beneficiary_status(frames, frame).drop("subsidy_key", "status", strict=False)


BUILDERS = {"contracts": contract_facts, "concessions": concession_facts, "subsidies": subsidy_facts}


def build(
    frames: Frames, table: str, needed: set[str], amount: str, filters: Sequence[nw.Expr] = ()
) -> nw.LazyFrame[Any]:
    """The fact table `table` with the `needed` columns, restricted to the rows meeting `filters`
    (expressions on those columns; the builders apply them before their costliest joins)."""
    return BUILDERS[table](frames, needed, amount, filters)
