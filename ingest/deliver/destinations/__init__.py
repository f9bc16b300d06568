"""The destination kinds, and the one place that builds a kind from its row.

Each kind module knows nothing of Django: what it needs of the deployment (the
product's public URL, whether private networks may be reached, the product's own
database, the embedded warehouse's file) is given here."""

from importlib import import_module
from pathlib import Path

from django.conf import settings

from ingest.deliver.destinations.base import Answer, Batch, DeliveryError, ObjectSet

__all__ = ["Answer", "Batch", "DeliveryError", "ObjectSet", "KINDS", "build", "warehouse_file"]

# kind -> (module, class), imported when first used: a warehouse driver is loaded only
# by a worker that delivers to one.
KINDS = {
    "segment": ("ingest.deliver.destinations.segment", "SegmentCompatible"),
    "webhook": ("ingest.deliver.destinations.webhook", "SignedWebhook"),
    "postgres": ("ingest.deliver.destinations.warehouse", "PostgresWarehouse"),
    "duckdb": ("ingest.deliver.destinations.warehouse", "DuckDBWarehouse"),
}


def kind_class(kind: str):
    module, name = KINDS[kind]
    return getattr(import_module(module), name)


def build(destination):
    """The sender of a Destination row (or of an unsaved one, to check it), with what
    the deployment decides added to its configuration (never the owner's to set)."""
    config = {**destination.config, **_deployment(destination)}
    return kind_class(destination.kind)(config, dict(destination.credentials))


def warehouse_file(workspace) -> Path:
    """The embedded warehouse of a workspace: a file of its own."""
    return settings.WAREHOUSE_DIR / f"{workspace.slug}.duckdb"


def _deployment(destination) -> dict:
    if destination.kind in ("segment", "webhook"):
        return {
            "public_url": settings.PUBLIC_URL,
            "allow_private_network": settings.DESTINATIONS_ALLOW_PRIVATE_NETWORK,
        }
    if destination.kind == "postgres":
        return {
            "allow_private_network": settings.DESTINATIONS_ALLOW_PRIVATE_NETWORK,
            "product_database": _product_database(),
        }
    if destination.kind == "duckdb":
        return {"path": str(warehouse_file(destination.workspace))}
    return {}


def _product_database() -> dict | None:
    """The product's own PostgreSQL, which no warehouse DSN may name (its tables would
    take the loads: memberships, settings), even where private networks are allowed."""
    database = settings.DATABASES["default"]
    if "postgresql" not in database["ENGINE"]:
        return None
    return {"host": database.get("HOST") or "", "port": database.get("PORT") or 5432,
            "name": database["NAME"]}  # fmt: skip
