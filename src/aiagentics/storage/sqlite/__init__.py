"""Storage: the Store interface, the SQLite database, per-component migrations."""
