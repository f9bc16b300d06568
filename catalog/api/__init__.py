"""The catalog's REST API under /api/v1/ (thin views over catalog.services)."""
