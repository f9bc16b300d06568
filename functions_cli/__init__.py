"""`functions-cli`: the Source Functions IDE from a terminal (logs, replay, push, pull, run)."""
