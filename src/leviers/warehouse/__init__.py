"""The embedded analytical warehouse (DuckDB): opening it and its documented schema."""

from leviers.warehouse.connection import SCHEMA_VERSION, apply_schema, open_warehouse

__all__ = ["SCHEMA_VERSION", "apply_schema", "open_warehouse"]
