"""Warehouse destinations: a PostgreSQL database the owner points at, and the embedded
DuckDB file. One loader (loader.py) with two dialects; the schema and naming rules are
Segment's warehouses' (plan.py, names.py, values.py; docs/destinations.md)."""

from ingest.deliver.destinations.warehouse.duckdb_file import DuckDBWarehouse
from ingest.deliver.destinations.warehouse.postgres import PostgresWarehouse

__all__ = ["DuckDBWarehouse", "PostgresWarehouse"]
