"""The embedded analytical warehouse (DuckDB): opening and checking it, its documented schema and
the migrations that carry older files forward."""

from leviers.warehouse.connection import (
    SCHEMA_VERSION,
    apply_schema,
    check_warehouse,
    migrate_warehouse,
    open_warehouse,
    schema_version,
    verify_warehouse,
    warehouse_version,
)

__all__ = [
    "SCHEMA_VERSION",
    "apply_schema",
    "check_warehouse",
    "migrate_warehouse",
    "open_warehouse",
    "schema_version",
    "verify_warehouse",
    "warehouse_version",
]
