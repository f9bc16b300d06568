"""Destination kinds: what the deliver stage sends batches to (base.py)."""
