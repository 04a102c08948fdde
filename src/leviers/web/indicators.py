"""Indicator values for the pages, computed by the catalogue's engine (leviers.indicators).

The engine computes every indicator of a breakdown in one pass; doing that for each page view
would cost far more than a page may take. So when the serving copy is built (once per warehouse
state), the engine runs once per level — every buyer (unité légale), département, région and the
nation, all years — and its long tables are stored in the copy, sorted by code. Pages then read a
few rows.

Peers are ranked from the same stored values by the core's single definition
(`leviers.indicators.peers.PEERS_SQL`: only sufficient values are ranked, ranks only among at least
five ranked peers); a test checks that the page and the core's peers() agree.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import duckdb
import pyarrow as pa

from leviers.indicators import catalogue, compute, spaser_estimates
from leviers.indicators.peers import peer_order, peers_sql
from leviers.warehouse.queries import KeyedRows
from leviers.warehouse.queries import rows as query_rows
from leviers.warehouse.trace import execute

LEVELS = ("unite_legale", "departement", "region", "national")


def _store(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table, order: str) -> None:
    con.register("_leviers_arrow", table)
    try:
        con.execute(f"CREATE TABLE snap.{name} AS SELECT * FROM _leviers_arrow ORDER BY {order}")
    finally:
        con.unregister("_leviers_arrow")


def build_indicator_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Run the engine once per level and store its tables in the serving copy (`snap`)."""
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    has_reference = "ref_collectivites" in tables
    for level in LEVELS:
        if level in ("departement", "region") and not has_reference:
            continue
        _store(con, f"web_ind_{level}", compute(con, by=level), "code, year, indicator")
    if has_reference:
        # Peers ranked by the core's one definition (leviers.indicators.peers), over the stored rows.
        con.execute(
            "CREATE TEMP VIEW web_peer_members AS SELECT i.code, i.year, i.indicator, i.value_count, "
            "i.value_amount, i.sufficient_count, i.sufficient_amount, r.groupe_pairs, r.tranche_population, "
            "r.tranche_libelle FROM snap.web_ind_unite_legale AS i JOIN ref_collectivites AS r ON r.siren = i.code"
        )
        con.execute(
            f"CREATE TABLE snap.web_ind_peers AS SELECT * FROM ({peers_sql('web_peer_members')}) "
            "ORDER BY code, year, indicator"
        )
        con.execute("DROP VIEW web_peer_members")
        # A buyer's page reads its values and its peers in one look-up.
        con.execute(
            """
            CREATE TABLE snap.web_ind_buyer AS
            SELECT i.*, p.* EXCLUDE (code, year, indicator)
            FROM snap.web_ind_unite_legale AS i
            LEFT JOIN snap.web_ind_peers AS p USING (code, year, indicator)
            ORDER BY i.code, i.year, i.indicator
            """
        )
        # The peers table of a page (one indicator, year and group) is one sorted range.
        con.execute(
            f"""
            CREATE TABLE snap.web_peer_table AS
            SELECT p.*, i.label, {PEER_TABLE_VALUES}
            FROM snap.web_ind_peers AS p
            JOIN snap.web_ind_unite_legale AS i USING (code, year, indicator)
            JOIN ref_collectivites AS r ON r.siren = p.code
            ORDER BY p.indicator, p.year, p.peer_group, p.peer_band, p.code
            """
        )
        con.execute("DROP TABLE snap.web_ind_peers")
    else:
        con.execute("CREATE TABLE snap.web_ind_buyer AS SELECT * FROM snap.web_ind_unite_legale")
    # Every buyer and year, above the threshold or not, so that a page can say which; the reasons
    # as text (a list column is read for every row of a block).
    _store(con, "web_spaser_raw", spaser_estimates(con, include_below=True), "siren, year")
    con.execute(
        """
        CREATE TABLE snap.web_spaser AS
        SELECT * EXCLUDE (reasons), array_to_string(reasons, chr(31)) AS reasons_texte
        FROM snap.web_spaser_raw ORDER BY siren, year
        """
    )
    con.execute("DROP TABLE snap.web_spaser_raw")


@cache
def catalogue_order() -> dict[str, int]:
    return {indicator.id: rank for rank, indicator in enumerate(catalogue().indicators)}


@cache
def definitions() -> dict[str, dict[str, Any]]:
    """Each indicator's definition as data, with its counting rule spelt out and its group's label."""
    cat = catalogue()
    found = {}
    for indicator in cat.indicators:
        entry = indicator.to_dict()
        entry["counting_rule"] = cat.counting_rules[indicator.counting]
        entry["group_label"] = cat.groups[indicator.group]
        found[indicator.id] = entry
    return found


def in_catalogue_order(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows by year (unknown year last), in catalogue order within each year."""
    order = catalogue_order()
    return sorted(rows, key=lambda r: (r["year"] is None, r["year"] or 0, order.get(r["indicator"], 999)))


def indicator_rows(con: duckdb.DuckDBPyConnection, level: str, code: str | None) -> list[dict[str, Any]]:
    """Every stored row of one group (a buyer's SIREN, a département code; None for the nation),
    all years, in catalogue order within each year."""
    if level not in LEVELS:
        raise ValueError(level)
    where = "code IS NULL" if code is None else "code = ?"
    rows = query_rows(
        con,
        f"SELECT * FROM web_ind_{level} WHERE {where}",
        [] if code is None else [code],
        name="indicators.table",
    )
    return in_catalogue_order(rows)


PEER_FIELDS = (
    "peer_group", "peer_band", "peer_band_label", "peers", "rank_count", "percentile_count", "ranked_count",
    "peer_median_count", "rank_amount", "percentile_amount", "ranked_amount", "peer_median_amount",
)  # fmt: skip


# The values a peers table shows beside each collectivité's position.
PEER_TABLE_VALUES = (
    "i.unit, i.value_count, i.value_amount, i.unknown, i.denominator, i.numerator, i.amount_denominator, "
    "i.amount_numerator, i.amount_unknown, i.amount_missing, i.amount_set_aside, i.sufficient_count, "
    "i.sufficient_amount, i.population, i.synthetic, r.population AS habitants"
)

# What a buyer's page shows of each row (reading fewer columns makes the look-up several times faster).
VALUE_COLUMNS = (
    "year, indicator, unit, value_count, value_amount, target, gap, population, unknown, denominator, "
    "numerator, amount_denominator, amount_numerator, amount_unknown, amount_missing, amount_set_aside, "
    "sufficient_count, sufficient_amount, note, synthetic"
)


def buyer_rows(con: duckdb.DuckDBPyConnection, siren: str, *, with_peers: bool) -> list[dict[str, Any]]:
    """A buyer's indicator rows, all years, each with its position among its peers under `pairs`
    (None when it is not a collectivité of the reference)."""
    columns = VALUE_COLUMNS
    if with_peers:
        columns += ", " + ", ".join(PEER_FIELDS)
    result = execute(con, "indicators.buyer", f"SELECT {columns} FROM web_ind_buyer WHERE code = ?", [siren])
    names = [d[0] for d in result.description or []]
    # Each row split once into its values and its peers' (some hundred rows a page: popping the
    # twelve peer fields of each row one by one cost more than reading them).
    width = len(names) - (len(PEER_FIELDS) if with_peers else 0)
    values = names[:width]
    rows = []
    for found in result.fetchall():
        row = dict(zip(values, found[:width], strict=True))
        peers = dict(zip(PEER_FIELDS, found[width:], strict=True)) if with_peers else None
        row["pairs"] = peers if peers and peers["peer_group"] is not None else None
        rows.append(row)
    return in_catalogue_order(rows)


def has_peers(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the copy ranks peers (it does when the collectivités reference is loaded)."""
    found = con.execute(
        "SELECT count(*) FROM information_schema.columns WHERE table_name = 'web_ind_buyer' AND column_name = 'peers'"
    ).fetchone()
    return bool(found and found[0])


def peer_rows(con: duckdb.DuckDBPyConnection, siren: str, year: int) -> dict[str, dict[str, Any]]:
    """A collectivité's position among its peers, by indicator, for one year."""
    rows = query_rows(
        con,
        "SELECT * FROM web_peer_table WHERE code = ? AND year = ?",
        [siren, year],
        name="indicators.peers",
    )
    return {r["indicator"]: r for r in rows}


def peer_table(
    con: duckdb.DuckDBPyConnection, indicator: str, year: int, group: str, band: str, siren: str
) -> list[dict[str, Any]]:
    """Every collectivité of one peer group for an indicator and year, named, with its values and
    position, in the core's order (leviers.indicators.peers.peer_order); `is_target` marks `siren`."""
    rows = query_rows(
        con,
        "SELECT * FROM web_peer_table WHERE indicator = ? AND year = ? AND peer_group = ? AND peer_band = ?",
        [indicator, year, group, band],
        name="indicators.peer_table",
    )
    for row in rows:
        row["is_target"] = row["code"] == siren
    return sorted(rows, key=peer_order)


def _spaser_row(row: dict[str, Any]) -> dict[str, Any]:
    text = row.pop("reasons_texte")
    row["reasons"] = text.split(chr(31)) if text else []
    return row


def spaser_index(con: duckdb.DuckDBPyConnection) -> KeyedRows:
    """Every SPASER estimate in memory, keyed by SIREN (a few rows per buyer), read once per server
    process: like the identity, it spares a query on every collectivité page."""
    return KeyedRows(
        con, "SELECT * FROM web_spaser ORDER BY siren, year", "siren", name="indicators.spaser_index"
    )


def spaser_rows(
    con: duckdb.DuckDBPyConnection, siren: str, index: KeyedRows | None = None
) -> list[dict[str, Any]]:
    if index is not None:
        found = index.get(siren)
    else:
        found = query_rows(
            con, "SELECT * FROM web_spaser WHERE siren = ? ORDER BY year", [siren], name="indicators.spaser"
        )
    return [_spaser_row(row) for row in found]


def by_year(rows: list[dict[str, Any]]) -> dict[int, dict[str, dict[str, Any]]]:
    """{year: {indicator: row}} from indicator_rows()."""
    found: dict[int, dict[str, dict[str, Any]]] = {}
    for row in rows:
        if row["year"] is not None:
            found.setdefault(int(row["year"]), {})[row["indicator"]] = row
    return found


def trend(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per year: contracts and amount, and the shares with a social or environmental consideration
    (by number, among contracts where it is known; None when nothing is known), each with whether
    its base is sufficient to quote it (leviers.indicators.base)."""
    result = []
    for year, found in sorted(by_year(rows).items()):
        if "contracts" not in found:  # a year with subsidies only
            continue
        contracts = found["contracts"]
        social = found.get("social", {})
        environmental = found.get("environmental", {})
        result.append(
            {
                "annee": year,
                "contrats": int(contracts.get("value_count") or 0),
                "montant": contracts.get("value_amount"),
                "montants_ecartes": contracts.get("amount_set_aside"),
                "part_social": social.get("value_count"),
                "social_connu": social.get("denominator"),
                "social_inconnu": social.get("unknown"),
                "social_suffisant": bool(social.get("sufficient_count", True)),
                "part_environnement": environmental.get("value_count"),
                "environnement_connu": environmental.get("denominator"),
                "environnement_inconnu": environmental.get("unknown"),
                "environnement_suffisant": bool(environmental.get("sufficient_count", True)),
                "synthetique": bool(contracts.get("synthetic")),
            }
        )
    return result
