"""The gateway's state on disk is private to the user running it: folders 0700, files 0600.

The state folder (the database's directory, `.aiagentics/` under the project root by
default) holds the SQLite file with its `-wal`/`-shm` companions, the sealing key and
`files/` (uploaded content); on PostgreSQL it holds only the key and `files/`.
`prepare_state_dir` runs before the database is opened: it
creates what is missing with private modes and tightens what is already there, whatever
the umask. A folder the user picked for the database (say the project root) is not
ours, so its mode is left alone; the files we keep in it are tightened all the same.
SQLite creates `-wal`/`-shm` with the mode of the database file, so a private database
file keeps them private too.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

from aiagentics.project import GatewaySettings

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
# The default state folder's name: a folder with this name holds nothing but our state.
STATE_DIR_NAME = ".aiagentics"
# The database file and its companions; the sealing key's file (used by sealing.py).
DB_SUFFIXES = ("", "-wal", "-shm", "-journal", ".lock")
KEY_FILE = "secret.key"


def private_dir(path: Path, *, tighten: bool = True) -> None:
    """Create `path` (and missing parents) with the leaf at mode 0700; with `tighten`,
    an existing folder with a looser mode is set to 0700."""
    try:
        path.mkdir(mode=PRIVATE_DIR, parents=True)
    except FileExistsError:
        if not tighten:
            return
    # mkdir's mode is filtered by the umask; chmod sets it exactly.
    _tighten(path, PRIVATE_DIR)


def open_private(path: Path) -> BinaryIO:
    """Open `path` for writing (created or truncated) with mode 0600, whatever the umask."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    try:
        os.fchmod(fd, PRIVATE_FILE)
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "wb")


def prepare_state_dir(settings: GatewaySettings) -> None:
    """Create or tighten the state folder, `files/` and the database files (see module doc)."""
    database = settings.database_path
    if not settings.is_postgres and str(database) == ":memory:":
        return
    data_dir = settings.data_dir
    private_dir(data_dir, tighten=data_dir.name == STATE_DIR_NAME)
    files_dir = settings.files_dir
    if files_dir.is_dir():
        _tighten(files_dir, PRIVATE_DIR)
        with os.scandir(files_dir) as entries:
            for entry in entries:
                if entry.is_file(follow_symlinks=False):
                    _tighten(Path(entry.path), PRIVATE_FILE)
    _tighten(data_dir / KEY_FILE, PRIVATE_FILE)
    if settings.is_postgres:  # the database is a server's, not a file of ours
        return
    # Created before SQLite opens it: SQLite's own default would be 0644.
    fd = os.open(database, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE)
    os.close(fd)
    for suffix in DB_SUFFIXES:
        _tighten(Path(f"{database}{suffix}"), PRIVATE_FILE)


def _tighten(path: Path, mode: int) -> None:
    """Set `path`'s permission bits to `mode` when they differ (absent paths are skipped)."""
    try:
        current = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        return
    if current != mode:
        os.chmod(path, mode)
