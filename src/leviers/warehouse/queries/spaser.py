"""The SPASER report page: a buyer's engine rows and SPASER estimate as the serving copy stores
them (leviers.web.indicators builds `web_ind_buyer` and `web_spaser` with the engine's own output)."""

from __future__ import annotations

from typing import Any

import duckdb

from leviers.warehouse.queries import rows

REASONS_SEPARATOR = chr(31)  # how web_spaser keeps its list of reasons as text


def indicator_rows(con: duckdb.DuckDBPyConnection, siren: str) -> list[dict[str, Any]]:
    """Every stored row of the buyer (compute(by="unite_legale") and peers() columns), all years."""
    return rows(con, "SELECT * FROM web_ind_buyer WHERE code = ?", [siren], name="spaser.indicator_rows")


def estimate(con: duckdb.DuckDBPyConnection, siren: str, year: int) -> dict[str, Any] | None:
    """The buyer's SPASER estimate for the year (spaser_estimates() columns), None without contracts."""
    found = rows(
        con, "SELECT * FROM web_spaser WHERE siren = ? AND year = ?", [siren, year], name="spaser.estimate"
    )
    if not found:
        return None
    row = found[0]
    text = row.pop("reasons_texte", None)
    row["reasons"] = text.split(REASONS_SEPARATOR) if text else []
    return row
