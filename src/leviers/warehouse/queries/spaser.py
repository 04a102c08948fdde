"""The SPASER report page: a buyer's engine rows as the serving copy stores them
(leviers.web.indicators builds `web_ind_buyer` with the engine's own output)."""

from __future__ import annotations

from typing import Any

import duckdb

from leviers.warehouse.queries import rows


def indicator_rows(con: duckdb.DuckDBPyConnection, siren: str) -> list[dict[str, Any]]:
    """Every stored row of the buyer (compute(by="unite_legale") and peers() columns), all years."""
    return rows(con, "SELECT * FROM web_ind_buyer WHERE code = ?", [siren], name="spaser.indicator_rows")
