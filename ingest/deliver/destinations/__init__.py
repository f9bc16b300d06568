"""The destination kinds: plain libraries the deliver stage calls (see base.py)."""
