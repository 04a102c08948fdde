"""INSEE's SIRENE register: the legal units (name, legal category, size category, ESS flag) of the
suppliers, buyers and subsidy beneficiaries present in the warehouse."""

from leviers.sirene.scope import scope_sql
from leviers.sirene.stock import SCOPE_ALL, SCOPE_WAREHOUSE, StockFile, inspect, load_stock

__all__ = ["SCOPE_ALL", "SCOPE_WAREHOUSE", "StockFile", "inspect", "load_stock", "scope_sql"]
