"""The product's metrics, as /metrics serves them (functions_ide/ops.py): ingest owns
them (ingest/metrics.py); this module is the wiring that exposes them."""

from ingest.metrics import (
    DATABASE_COLLECTOR,
    DeliveryLag,
    ExecutionTotals,
    exposition,
    process_exited,
    process_registry,
    reason_for_status,
    set_warm_isolates,
    webhook_accepted,
    webhook_refused,
)

__all__ = [
    "DATABASE_COLLECTOR",
    "DeliveryLag",
    "ExecutionTotals",
    "exposition",
    "process_exited",
    "process_registry",
    "reason_for_status",
    "set_warm_isolates",
    "webhook_accepted",
    "webhook_refused",
]
