"""The `aia` verbs, one module each, imported only when their verb runs (see cli/main.py)."""
